// openid-client (npm), the OpenID Connect library of Node.js applications,
// as a relying party of the pool: discovery, the code flow with PKCE and a
// nonce, the ID token checked, userinfo, refresh, introspection and
// revocation. Driven by tests/e2e/test_clients.py over stdin and stdout:
// it prints {"authorize": URL}, reads the URL the browser was sent back to,
// and prints what it got. The pool's TLS certificate chains to the test CA
// (NODE_EXTRA_CA_CERTS). Settings from the environment: ISSUER, CLIENT_ID,
// CLIENT_SECRET, REDIRECT_URI.
import * as client from "openid-client";
import { createInterface } from "node:readline";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const config = await client.discovery(
  new URL(env("ISSUER")),
  env("CLIENT_ID"),
  undefined,
  client.ClientSecretBasic(env("CLIENT_SECRET")),
);
const verifier = client.randomPKCECodeVerifier();
const nonce = client.randomNonce();
const state = client.randomState();
const authorize = client.buildAuthorizationUrl(config, {
  redirect_uri: env("REDIRECT_URI"),
  scope: "openid email profile",
  code_challenge: await client.calculatePKCECodeChallenge(verifier),
  code_challenge_method: "S256",
  nonce,
  state,
});
console.log(JSON.stringify({ authorize: authorize.href }));

const lines = createInterface({ input: process.stdin });
const callback = await new Promise((resolve) => lines.once("line", resolve));
lines.close();

const tokens = await client.authorizationCodeGrant(config, new URL(callback), {
  pkceCodeVerifier: verifier,
  expectedNonce: nonce,
  expectedState: state,
  idTokenExpected: true,
});
const claims = tokens.claims();
const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
const introspected = await client.tokenIntrospection(config, refreshed.access_token);
let revocation = "revoked";
try {
  await client.tokenRevocation(config, refreshed.refresh_token);
} catch (e) {
  // A pool without a store cannot revoke, and says so.
  revocation = e.error ?? e.code ?? String(e);
}
const afterRevocation = await client.tokenIntrospection(config, refreshed.access_token);
let reuse;
try {
  await client.refreshTokenGrant(config, tokens.refresh_token);
  reuse = "accepted";
} catch (e) {
  reuse = e.error ?? e.code ?? String(e);
}
console.log(JSON.stringify({
  claims,
  sizes: { access_token: tokens.access_token.length, refresh_token: tokens.refresh_token.length },
  scope: tokens.scope,
  userinfo,
  refreshed_claims: refreshed.claims(),
  introspected,
  revocation,
  after_revocation: afterRevocation,
  reuse,
}));
