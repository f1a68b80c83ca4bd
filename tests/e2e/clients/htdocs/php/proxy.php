<?php
// A CAS 3.0 proxy: log in through the pool with callback.php as pgtUrl,
// then ask the pool for a proxy ticket for the back end in ?target=.
require __DIR__ . '/common.php';

e2e_setup(true);
phpCAS::forceAuthentication();
$target = $_GET['target'] ?? '';
$code = null;
$message = '';
$pt = phpCAS::retrievePT($target, $code, $message);
e2e_json([
    'user' => phpCAS::getUser(),
    'callback' => e2e_callback_url(),
    'target' => $target,
    'pt' => $pt === false ? null : $pt,
    'error_code' => $code,
    'error' => $message,
]);
