// oidc-provider 9, configured as benches/load/oidc_peer measures it: one
// confidential client (client_secret_basic, PKCE S256, the code flow and
// refresh tokens), an RS256 key, the in-memory adapter (codes and sessions
// in this process, as cas-node without a store keeps nothing), its
// development login form (any password) and the grant of `openid profile
// email` given at the first login, so that a session's later
// authorizations go straight back with a code, as cas-node's single
// sign-on does. ID tokens are signed with RS256 (a 2048-bit key) or EdDSA
// (Ed25519), as ALG says.
// Usage: node server.mjs PORT CLIENT_SECRET REDIRECT_URI RS256|EdDSA
import { generateKeyPairSync } from "node:crypto";
import Provider from "oidc-provider";

const [port, secret, redirect, alg] = process.argv.slice(2);
const { privateKey } =
  alg === "EdDSA"
    ? generateKeyPairSync("ed25519")
    : generateKeyPairSync("rsa", { modulusLength: 2048 });
const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  clients: [
    {
      client_id: "moodle",
      client_secret: secret,
      redirect_uris: [redirect],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
      id_token_signed_response_alg: alg,
    },
  ],
  jwks: { keys: [{ ...privateKey.export({ format: "jwk" }), alg, use: "sig", kid: "k1" }] },
  enabledJWA: { idTokenSigningAlgValues: ["RS256", "EdDSA"] },
  cookies: { keys: ["bench cookie key, not a secret of anything"] },
  features: { devInteractions: { enabled: true } },
  claims: { openid: ["sub"], email: ["email"], profile: ["name"] },
  findAccount: async (ctx, id) => ({
    accountId: id,
    claims: async () => ({ sub: id, email: id, name: "J. Doe" }),
  }),
  issueRefreshToken: async () => true,
  async loadExistingGrant(ctx) {
    const id = ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (id) return ctx.oidc.provider.Grant.find(id);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope("openid profile email");
    await grant.save();
    return grant;
  },
});
provider.listen(Number(port), "127.0.0.1", () => console.log(`listening on ${issuer}`));
