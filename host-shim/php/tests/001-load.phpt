--TEST--
Pmp\Method: loading a plugin, configuration errors, the exception hierarchy, close()
--FILE--
<?php
require __DIR__ . '/helper.inc';

check('extension loaded', extension_loaded('pmp'));
check('Pmp\Exception is a RuntimeException', is_subclass_of('Pmp\Exception', 'RuntimeException'));
$classes = [
    -1 => 'InvalidArgumentException', -2 => 'InvalidRequestException', -3 => 'ConfigException',
    -4 => 'NetworkException', -5 => 'OutcomeUnknownException', -6 => 'GatewayException',
    -7 => 'UnsupportedException', -8 => 'AbiVersionException', -9 => 'ForkedException',
    -10 => 'OutOfMemoryException', -11 => 'InternalException', -12 => 'ConflictException',
    -13 => 'TlsException', -14 => 'ProtocolException', -15 => 'NotFoundException',
    -16 => 'StateException',
];
$all = true;
foreach ($classes as $code => $c) {
    $all = $all && is_subclass_of("Pmp\\$c", 'Pmp\Exception');
}
check('one subclass per ABI code', $all);
check('code constants', Pmp\Exception::OUTCOME_UNKNOWN === -5 && Pmp\Exception::STATE === -16
      && Pmp\LoaderException::METHODS === -1005);
check('Method is final', (new ReflectionClass('Pmp\Method'))->isFinal());

$e = thrown(fn() => new Pmp\Method('/nonexistent/libpmp_x.so', env('PMP_CONFIG')));
check('missing plugin: LoaderException -1001', $e instanceof Pmp\LoaderException
      && $e->getCode() === -1001 && str_contains($e->getMessage(), '/nonexistent/libpmp_x.so'),
      $e ? $e->getMessage() : null);

$e = thrown(fn() => new Pmp\Method('/usr/lib/x86_64-linux-gnu/libc.so.6', env('PMP_CONFIG')));
check('not a plugin: LoaderException -1002', $e instanceof Pmp\LoaderException && $e->getCode() === -1002,
      $e ? $e->getMessage() : null);

$e = thrown(fn() => new Pmp\Method(env('PMP_PLUGIN'), '/nonexistent/paid.yaml'));
check('missing config file: LoaderException -1004', $e instanceof Pmp\LoaderException
      && $e->getCode() === -1004, $e ? $e->getMessage() : null);

$bad = env('PMP_WORK') . '/paid-bad.yaml';
$e = thrown(fn() => new Pmp\Method(env('PMP_PLUGIN'), $bad));
check('bad config: ConfigException names file, line and key', $e instanceof Pmp\ConfigException
      && $e->getCode() === -3 && !$e->isRetryable() && $e->getOperation() === 'init'
      && preg_match('/paid-bad\.yaml:\d+: shop\.colour/', $e->getMessage()) === 1,
      $e ? $e->getMessage() : null);

$e = thrown(fn() => Pmp\Method::fromConfigText(env('PMP_PLUGIN'), "shop:\n  id: tshop00000001\n  password: x\n  bogus: 1\n", [], 'store-db'));
check('fromConfigText error names the origin', $e instanceof Pmp\ConfigException
      && str_contains($e->getMessage(), 'store-db:'), $e ? $e->getMessage() : null);

$m = Pmp\Method::fromConfigText(env('PMP_PLUGIN'), file_get_contents(env('PMP_CONFIG')));
check('fromConfigText', $m instanceof Pmp\Method && $m->methodName() === 'paid');

$e = thrown(fn() => paid(['colour' => 'blue']));
check('unknown option refused', $e instanceof ValueError, $e ? $e->getMessage() : null);
$e = thrown(fn() => paid(['log_level' => 'loud']));
check('bad log level refused', $e instanceof ValueError, $e ? $e->getMessage() : null);

$m = paid();
check('name/label/methodName/pluginVersion', $m->name() === 'paid' && $m->label() === 'paid'
      && $m->methodName() === 'paid' && preg_match('/^\d+\.\d+\.\d+/', $m->pluginVersion()) === 1);
check('not closed', !$m->isClosed());
$m->close();
$m->close();
check('closed twice', $m->isClosed());
$e = thrown(fn() => $m->status(['order_id' => 'X-1']));
check('closed method: InvalidArgumentException', $e instanceof Pmp\InvalidArgumentException
      && $e->getCode() === -1 && $e->getOperation() === 'status', $e ? $e->getMessage() : null);
$e = thrown(fn() => clone paid());
check('cannot clone', $e instanceof Error);
$e = thrown(fn() => serialize(paid()));
check('cannot serialize', $e instanceof Exception);

/* Many objects: each context shut down by its free handler. */
for ($i = 0; $i < 50; $i++) {
    $x = paid();
    $x->capabilities();
}
unset($x);
check('50 open/close cycles', true);
?>
--EXPECT--
ok extension loaded
ok Pmp\Exception is a RuntimeException
ok one subclass per ABI code
ok code constants
ok Method is final
ok missing plugin: LoaderException -1001
ok not a plugin: LoaderException -1002
ok missing config file: LoaderException -1004
ok bad config: ConfigException names file, line and key
ok fromConfigText error names the origin
ok fromConfigText
ok unknown option refused
ok bad log level refused
ok name/label/methodName/pluginVersion
ok not closed
ok closed twice
ok closed method: InvalidArgumentException
ok cannot clone
ok cannot serialize
ok 50 open/close cycles
