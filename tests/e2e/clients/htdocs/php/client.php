<?php
// A CAS 3.0 client: log in through the pool, show what phpCAS validated.
require __DIR__ . '/common.php';

e2e_setup(false);
phpCAS::forceAuthentication();
e2e_json([
    'user' => phpCAS::getUser(),
    'attributes' => phpCAS::getAttributes(),
]);
