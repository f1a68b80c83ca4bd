<?php
// The application mod_auth_cas protects: the user Apache authenticated and
// the CAS-* request headers mod_auth_cas passed on (CASAuthNHeader CAS-User,
// one CAS-<attribute> header per attribute, CASAttributePrefix CAS-).
$headers = [];
foreach (getallheaders() as $name => $value) {
    if (stripos($name, 'CAS-') === 0) {
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
