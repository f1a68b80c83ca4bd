<?php
// A CAS 3.0 client that honours single logout, as phpCAS documents it: a
// LogoutRequest POSTed from the CAS host (127.0.0.1) destroys the session
// phpCAS opened for the ST it names.
require __DIR__ . '/common.php';

e2e_setup(false);
phpCAS::handleLogoutRequests();
phpCAS::forceAuthentication();
e2e_json(['user' => phpCAS::getUser()]);
