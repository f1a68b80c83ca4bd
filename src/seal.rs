//! Per-kind subkeys, nonces and the AEAD (FORMAT.md §5).
//!
//! Each master key yields one subkey per ticket kind through HKDF-SHA256, so
//! a TGT key never opens an ST. Each ticket draws a fresh 128-bit nonce `N`;
//! both algorithms turn it into a per-ticket key:
//!
//! * `aes256gcm`: XAES-256-GCM (C2SP) with the 192-bit nonce `N || 0^64`;
//!   its key derivation consumes the first 96 bits of `N`, AES-256-GCM the rest.
//! * `xchacha20poly1305`: XChaCha20-Poly1305 with the nonce `N || 0^64`;
//!   HChaCha20 derives the ChaCha20 key from `N`.
//!
//! A (key, nonce) pair repeats under one subkey only if two tickets drew the
//! same `N`: at most `q^2 / 2^129` for `q` tickets, `2^-33` at `q = 2^48`.

use chacha20poly1305::XChaCha20Poly1305;
use hkdf::Hkdf;
use hmac::Hmac;
use sha2::Sha256;
use xaes_256_gcm::Xaes256Gcm;
use xaes_256_gcm::aead::{AeadInOut, KeyInit};
use zeroize::Zeroizing;

use crate::claims::Kind;
use crate::error::Error;
use crate::format::{NONCE_BYTES, TAG_BYTES};
use crate::keyring::{Alg, Key};

/// HKDF salt for every subkey of this format version.
pub(crate) const HKDF_SALT: &[u8] = b"cas-ticket-codec v2";

/// The AEAD nonce: the ticket's 16 random bytes, then 8 zero bytes.
const AEAD_NONCE_BYTES: usize = 24;

/// The HKDF info string of a subkey: `"<alg> <PREFIX>"`, for example `"aes256gcm ST"`.
pub(crate) fn hkdf_info(alg: Alg, kind: Kind) -> String {
    format!("{} {}", alg.name(), kind.prefix())
}

/// A subkey's cipher, ready to seal and open.
enum Cipher {
    Xaes(Box<Xaes256Gcm>),
    XChaCha(Box<XChaCha20Poly1305>),
}

/// The per-kind ciphers of one master key, and what a store needs of it
/// (FORMAT.md §13).
pub(crate) struct KindCiphers {
    alg: Alg,
    ciphers: [Cipher; Kind::ALL.len()],
    /// Under the subkey `"<alg> record"`: seals a store's single-logout
    /// records, which no ticket subkey opens and which open as no ticket.
    #[cfg(feature = "store")]
    record: Cipher,
    /// HMAC-SHA256 keyed with the subkey `"<alg> replay"`: names a spent
    /// ticket in a store without the ticket.
    replay: Hmac<Sha256>,
    /// HMAC-SHA256 keyed with the subkey `"<alg> principal"`: names a
    /// principal whose sessions an administrator ended, without the name.
    principal: Hmac<Sha256>,
}

/// HMAC-SHA256 keyed with the 32-byte subkey `info` of `hkdf`.
fn mac_key(hkdf: &Hkdf<Sha256>, info: &str) -> Hmac<Sha256> {
    let mut key = Zeroizing::new([0_u8; 32]);
    // 32 bytes is far below HKDF-SHA256's limit of 8160, so expand cannot fail.
    let _ = hkdf.expand(info.as_bytes(), key.as_mut_slice());
    // Any key length suits HMAC, so this cannot fail; the fallback (an
    // empty key) is never taken.
    <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(key.as_slice())
        .unwrap_or_else(|_| <Hmac<Sha256> as hmac::KeyInit>::new(&Default::default()))
}

/// The cipher of `alg` under the 32-byte subkey `info` of `hkdf`.
fn cipher(hkdf: &Hkdf<Sha256>, alg: Alg, info: &str) -> Cipher {
    let mut subkey = Zeroizing::new([0_u8; 32]);
    // 32 bytes is far below HKDF-SHA256's limit of 8160, so expand cannot fail.
    let _ = hkdf.expand(info.as_bytes(), subkey.as_mut_slice());
    let subkey = (&*subkey).into();
    match alg {
        Alg::Aes256Gcm => Cipher::Xaes(Box::new(Xaes256Gcm::new(subkey))),
        Alg::XChaCha20Poly1305 => Cipher::XChaCha(Box::new(XChaCha20Poly1305::new(subkey))),
    }
}

/// The first 16 bytes of `mac` over `parts`.
fn mac16(mac: &Hmac<Sha256>, parts: &[&[u8]]) -> [u8; 16] {
    use hmac::Mac as _;
    let mut mac = mac.clone();
    for part in parts {
        mac.update(part);
    }
    let digest = mac.finalize().into_bytes();
    let mut id = [0_u8; 16];
    for (slot, b) in id.iter_mut().zip(digest.iter()) {
        *slot = *b;
    }
    id
}

impl KindCiphers {
    pub(crate) fn derive(key: &Key) -> Self {
        let alg = key.alg();
        let hkdf = Hkdf::<Sha256>::new(Some(HKDF_SALT), key.secret().expose());
        KindCiphers {
            alg,
            ciphers: Kind::ALL.map(|kind| cipher(&hkdf, alg, &hkdf_info(alg, kind))),
            #[cfg(feature = "store")]
            record: cipher(&hkdf, alg, &format!("{} record", alg.name())),
            replay: mac_key(&hkdf, &format!("{} replay", alg.name())),
            principal: mac_key(&hkdf, &format!("{} principal", alg.name())),
        }
    }

    /// The replay id of the ticket of `kind` sealed with `nonce`: the first
    /// 16 bytes of HMAC(replay key, prefix || nonce).
    pub(crate) fn replay_id(&self, kind: Kind, nonce: &[u8; NONCE_BYTES]) -> [u8; 16] {
        mac16(&self.replay, &[kind.prefix().as_bytes(), nonce])
    }

    /// The principal id of `principal`: the first 16 bytes of
    /// HMAC(principal key, its UTF-8).
    pub(crate) fn principal_id(&self, principal: &str) -> [u8; 16] {
        mac16(&self.principal, &[principal.as_bytes()])
    }

    pub(crate) fn alg(&self) -> Alg {
        self.alg
    }

    fn cipher(&self, kind: Kind) -> &Cipher {
        let [tgt, st, pt, pgt, code, access, refresh] = &self.ciphers;
        match kind {
            Kind::Tgt => tgt,
            Kind::St => st,
            Kind::Pt => pt,
            Kind::Pgt => pgt,
            Kind::Code => code,
            Kind::AccessToken => access,
            Kind::RefreshToken => refresh,
        }
    }

    /// Encrypts `buf` in place under `kind`'s subkey and returns the tag.
    pub(crate) fn seal(
        &self,
        kind: Kind,
        nonce: &[u8; NONCE_BYTES],
        associated_data: &[u8],
        buf: &mut [u8],
    ) -> Result<[u8; TAG_BYTES], Error> {
        self.cipher(kind).seal(nonce, associated_data, buf)
    }

    /// Decrypts `buf` in place if `tag` authenticates it; any failure is
    /// [`Error::AuthenticationFailed`], whatever its cause.
    pub(crate) fn open(
        &self,
        kind: Kind,
        nonce: &[u8],
        associated_data: &[u8],
        buf: &mut [u8],
        tag: &[u8],
    ) -> Result<(), Error> {
        self.cipher(kind).open(nonce, associated_data, buf, tag)
    }

    /// [`KindCiphers::seal`] under the record subkey.
    #[cfg(feature = "store")]
    pub(crate) fn seal_record(
        &self,
        nonce: &[u8; NONCE_BYTES],
        associated_data: &[u8],
        buf: &mut [u8],
    ) -> Result<[u8; TAG_BYTES], Error> {
        self.record.seal(nonce, associated_data, buf)
    }

    /// [`KindCiphers::open`] under the record subkey.
    #[cfg(feature = "store")]
    pub(crate) fn open_record(
        &self,
        nonce: &[u8],
        associated_data: &[u8],
        buf: &mut [u8],
        tag: &[u8],
    ) -> Result<(), Error> {
        self.record.open(nonce, associated_data, buf, tag)
    }
}

impl Cipher {
    fn seal(
        &self,
        nonce: &[u8; NONCE_BYTES],
        associated_data: &[u8],
        buf: &mut [u8],
    ) -> Result<[u8; TAG_BYTES], Error> {
        let nonce = aead_nonce(nonce);
        let tag = match self {
            Cipher::Xaes(c) => c.encrypt_inout_detached(&nonce.into(), associated_data, buf.into()),
            Cipher::XChaCha(c) => {
                c.encrypt_inout_detached(&nonce.into(), associated_data, buf.into())
            }
        };
        // Encryption fails only for inputs of gigabytes.
        tag.map(Into::into).map_err(|_| Error::AuthenticationFailed)
    }

    fn open(
        &self,
        nonce: &[u8],
        associated_data: &[u8],
        buf: &mut [u8],
        tag: &[u8],
    ) -> Result<(), Error> {
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(|_| Error::AuthenticationFailed)?;
        let tag: [u8; TAG_BYTES] = tag.try_into().map_err(|_| Error::AuthenticationFailed)?;
        let nonce = aead_nonce(&nonce);
        let opened = match self {
            Cipher::Xaes(c) => {
                c.decrypt_inout_detached(&nonce.into(), associated_data, buf.into(), &tag.into())
            }
            Cipher::XChaCha(c) => {
                c.decrypt_inout_detached(&nonce.into(), associated_data, buf.into(), &tag.into())
            }
        };
        opened.map_err(|_| Error::AuthenticationFailed)
    }
}

fn aead_nonce(nonce: &[u8; NONCE_BYTES]) -> [u8; AEAD_NONCE_BYTES] {
    let mut full = [0_u8; AEAD_NONCE_BYTES];
    for (slot, b) in full.iter_mut().zip(nonce) {
        *slot = *b;
    }
    full
}

/// A fresh nonce from the operating system's random source: fork- and
/// VM-snapshot-safe (see [`fill_from_os`](crate::keyring::fill_from_os)).
/// About 0.35 µs per ticket here.
pub(crate) fn random_nonce() -> Result<[u8; NONCE_BYTES], Error> {
    let mut nonce = [0_u8; NONCE_BYTES];
    crate::keyring::fill_from_os(&mut nonce)?;
    Ok(nonce)
}
