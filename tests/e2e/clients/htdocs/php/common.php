<?php
// What the phpCAS pages share: phpCAS 1.6 as Debian's php-cas installs it,
// and where the CAS pool is, from the SetEnv lines of the generated Apache
// configuration (tests/e2e/clients/vhost-phpcas.conf.in).

// CAS/source/CAS.php rather than CAS.php: the top-level file only adds a
// deprecation warning ("install phpCAS using composer instead").
require_once 'CAS/source/CAS.php';

function e2e_setting(string $name): string
{
    $value = $_SERVER[$name] ?? '';
    if ($value === '') {
        throw new RuntimeException("$name is not set by the Apache configuration");
    }
    return $value;
}

// phpCAS::setLogger() takes a PSR-3 logger and only ever calls info().
class E2eLogger
{
    public function __construct(private string $path)
    {
    }

    public function info($message, array $context = []): void
    {
        error_log($message . "\n", 3, $this->path);
    }
}

// A CAS 3.0 client, or a CAS 3.0 proxy whose pgtUrl is callback.php.
function e2e_setup(bool $proxy): void
{
    phpCAS::setLogger(new E2eLogger(e2e_setting('E2E_PHPCAS_LOG')));
    phpCAS::setVerbose(true);
    $init = $proxy ? 'proxy' : 'client';
    phpCAS::$init(
        CAS_VERSION_3_0,
        e2e_setting('E2E_CAS_HOST'),
        (int) e2e_setting('E2E_CAS_PORT'),
        e2e_setting('E2E_CAS_CONTEXT'),
        e2e_setting('E2E_BASE_URL')
    );
    phpCAS::setCasServerCACert(e2e_setting('E2E_CAS_CA'), true);
    if ($proxy) {
        phpCAS::setFixedCallbackURL(e2e_callback_url());
        phpCAS::setPGTStorageFile(e2e_setting('E2E_PGT_DIR'));
    }
}

function e2e_callback_url(): string
{
    return e2e_setting('E2E_BASE_URL') . '/php/callback.php';
}

function e2e_json(array $data): void
{
    header('Content-Type: application/json');
    header('Cache-Control: no-store');
    echo json_encode($data, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE), "\n";
}
