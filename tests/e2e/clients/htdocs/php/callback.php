<?php
// The pgtUrl phpCAS gives the pool. Called with pgtIou and pgtId, phpCAS is
// in callback mode: it stores the PGT under its IOU (E2E_PGT_DIR), answers
// 200 and exits, before any authentication.
require __DIR__ . '/common.php';

e2e_setup(true);
phpCAS::forceAuthentication();
