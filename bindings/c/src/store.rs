//! What nodes sharing a store with Rust nodes compute (FORMAT.md §13): the
//! replay and principal ids, and sealed single-logout records, with the
//! `CtcBytes` the library returns bytes in. Safe code only: `lib.rs` turns
//! the raw pointers into the borrowed values used here.

use std::ffi::{CStr, CString};

use cas_ticket_codec::store::{
    LogoutRecord, MAX_RECORDS_PER_SESSION, SealedRecord, split_records as split,
};
use cas_ticket_codec::{Codec, InvalidClaims, SessionId, Ticket};

use crate::convert::TicketBox;
use crate::status::Failure;
use crate::{CtcBytes, CtcRecords};

/// A `CtcBytes` and the bytes it points to. `repr(C)` with the view first,
/// so a pointer to the box is a pointer to the view.
#[repr(C)]
pub(crate) struct BytesBox {
    pub view: CtcBytes,
    bytes: Box<[u8]>,
}

impl BytesBox {
    fn new(bytes: Vec<u8>) -> Box<BytesBox> {
        let bytes = bytes.into_boxed_slice();
        let view = CtcBytes {
            data: bytes.as_ptr(),
            len: bytes.len(),
        };
        Box::new(BytesBox { view, bytes })
    }
}

/// A `CtcRecords`, the `CtcBytes` it points to and the bytes those point
/// to (every record back to back in one buffer). `repr(C)` with the view
/// first, so a pointer to the box is a pointer to the view. The views
/// point into the heap memory of `items` and `bytes`, which moving the box
/// does not move.
#[repr(C)]
pub(crate) struct RecordsBox {
    pub view: CtcRecords,
    items: Box<[CtcBytes]>,
    bytes: Box<[u8]>,
}

impl RecordsBox {
    fn new(records: &[SealedRecord]) -> Box<RecordsBox> {
        let bytes: Box<[u8]> = records
            .iter()
            .flat_map(|r| r.as_bytes().iter().copied())
            .collect();
        let mut at = bytes.as_ptr();
        let items: Box<[CtcBytes]> = records
            .iter()
            .map(|r| {
                let len = r.as_bytes().len();
                let item = CtcBytes { data: at, len };
                at = at.wrapping_add(len);
                item
            })
            .collect();
        let view = CtcRecords {
            records: if items.is_empty() {
                std::ptr::null()
            } else {
                items.as_ptr()
            },
            len: items.len(),
        };
        Box::new(RecordsBox { view, items, bytes })
    }
}

/// `split_records` of a store's field with the cap of the Rust nodes,
/// `MAX_RECORDS_PER_SESSION`.
pub(crate) fn split_records(field: &[u8]) -> Box<RecordsBox> {
    RecordsBox::new(&split(field, MAX_RECORDS_PER_SESSION))
}

/// A session id argument: 16 hex digits (`CTC_STATUS_INVALID_SESSION`
/// otherwise, as in `CtcClaims`).
fn session(id: &CStr) -> Result<SessionId, Failure> {
    let hex = id.to_str().map_err(|_| InvalidClaims::Session)?;
    Ok(hex.parse()?)
}

/// The ticket `ctc_decode` validated into `view`; a ticket
/// `ctc_open_expired` opened has no store ids.
fn decoded(view: &TicketBox) -> Result<&Ticket, Failure> {
    view.ticket().ok_or(Failure::invalid(
        "ticket comes from ctc_open_expired: store ids are of tickets ctc_decode validated",
    ))
}

/// `Codec::replay_id` of a decoded ticket.
pub(crate) fn replay_id(codec: &Codec, view: &TicketBox) -> Result<[u8; 16], Failure> {
    Ok(codec.replay_id(decoded(view)?)?)
}

/// `Codec::principal_id` of a decoded ticket.
pub(crate) fn principal_id(codec: &Codec, view: &TicketBox) -> Result<[u8; 16], Failure> {
    Ok(codec.principal_id(decoded(view)?)?)
}

/// `Codec::principal_ids`, back to back.
pub(crate) fn principal_ids(codec: &Codec, principal: &CStr) -> Result<Box<BytesBox>, Failure> {
    let principal = principal
        .to_str()
        .map_err(|_| Failure::invalid("principal is not UTF-8"))?;
    Ok(BytesBox::new(codec.principal_ids(principal).concat()))
}

/// `Codec::seal_record` of `ticket` (and the service URL, if given) for
/// the session `session_id`.
pub(crate) fn seal_record(
    codec: &Codec,
    session_id: &CStr,
    ticket: &CStr,
    service: Option<&CStr>,
) -> Result<Box<BytesBox>, Failure> {
    let session = session(session_id)?;
    let record = LogoutRecord {
        // Bytes that are not UTF-8 are no ticket: the library refuses the
        // lossy text as it refuses any text that is not an ST or PT.
        ticket: String::from_utf8_lossy(ticket.to_bytes()).into_owned(),
        service: service
            .map(|url| url.to_str().map(str::to_owned))
            .transpose()
            .map_err(|_| Failure::invalid("service is not UTF-8"))?,
    };
    let sealed = codec.seal_record(session, &record)?;
    Ok(BytesBox::new(sealed.as_bytes().to_vec()))
}

/// `Codec::open_record` of `record` for the session `session_id`: the
/// ticket, and the service URL when the record holds one.
pub(crate) fn open_record(
    codec: &Codec,
    session_id: &CStr,
    record: &[u8],
) -> Result<(CString, Option<CString>), Failure> {
    let session = session(session_id)?;
    let opened = codec.open_record(session, &SealedRecord::from_bytes(record.to_vec()))?;
    let nul = |_| Failure::Internal("record holds a NUL");
    let ticket = CString::new(opened.ticket).map_err(nul)?;
    let service = opened.service.map(CString::new).transpose().map_err(nul)?;
    Ok((ticket, service))
}
