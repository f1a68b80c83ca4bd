<?php
// The application mod_auth_cas and mod_auth_openidc protect: the user Apache
// authenticated and the request headers they passed on: CAS-* from
// mod_auth_cas (CASAuthNHeader CAS-User, one CAS-<attribute> header per
// attribute, CASAttributePrefix CAS-), OIDC-* from mod_auth_openidc (one
// OIDC-CLAIM-<claim> header per claim, OIDCClaimPrefix).
$headers = [];
foreach (getallheaders() as $name => $value) {
    if (stripos($name, 'CAS-') === 0 || stripos($name, 'OIDC-') === 0) {
        $headers[$name] = $value;
    }
}
ksort($headers);
header('Content-Type: application/json');
header('Cache-Control: no-store');
echo json_encode(
    [
        'remote_user' => $_SERVER['REMOTE_USER'] ?? null,
        'headers' => $headers,
    ],
    JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE
), "\n";
