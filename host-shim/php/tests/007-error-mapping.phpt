--TEST--
Every ABI code maps to its exception class, with code, gateway codes and retryable flag (test-only fake plugin)
--FILE--
<?php
require __DIR__ . '/helper.inc';
/* The fake plugin fails any operation with the code given in the request;
 * the real plugin cannot be driven to every code on purpose. */
$f = Pmp\Method::fromConfigText(env('PMP_FAKE_PLUGIN'), "fake: 1\n");
$expect = [
    -1 => 'Pmp\InvalidArgumentException', -2 => 'Pmp\InvalidRequestException',
    -3 => 'Pmp\ConfigException', -4 => 'Pmp\NetworkException',
    -5 => 'Pmp\OutcomeUnknownException', -6 => 'Pmp\GatewayException',
    -7 => 'Pmp\UnsupportedException', -8 => 'Pmp\AbiVersionException',
    -9 => 'Pmp\ForkedException', -10 => 'Pmp\OutOfMemoryException',
    -11 => 'Pmp\InternalException', -12 => 'Pmp\ConflictException',
    -13 => 'Pmp\TlsException', -14 => 'Pmp\ProtocolException',
    -15 => 'Pmp\NotFoundException', -16 => 'Pmp\StateException',
];
$ops = ['enroll', 'payerStatus', 'authorize', 'capture', 'voidOrder', 'refund', 'adjust', 'status'];
foreach ($expect as $code => $class) {
    $op = $ops[-$code % count($ops)];
    $e = thrown(fn() => $f->$op(['fail' => $code]));
    $retry = in_array($code, [-4, -5, -14], true);
    check("$code -> $class", $e !== null && get_class($e) === $class && $e->getCode() === $code
          && $e->isRetryable() === $retry && $e->getGatewayCodes() === ['E00000001', 'E00000002']
          && $e->getGatewayCode() === 'E00000001|E00000002'
          && str_contains($e->getMessage(), "fake failure $code"),
          $e ? get_class($e) . ' ' . $e->getCode() . ' ' . $e->getMessage() : 'no exception');
}
$e = thrown(fn() => $f->status(['fail' => -99]));
check('a code appended later -> Pmp\Exception itself', $e !== null && get_class($e) === 'Pmp\Exception'
      && $e->getCode() === -99);
$e = thrown(fn() => $f->capabilities(['fail' => -7]));
check('capabilities fails too', $e instanceof Pmp\UnsupportedException);
$e = thrown(fn() => $f->notify('x', ['Content-Type' => 'text/plain', 'X' => '"fail":-4']));
check('notify passes the body only', $e === null);
$e = thrown(fn() => $f->notify('"fail":-15'));
check('notify error mapped', $e instanceof Pmp\NotFoundException && $e->getOperation() === 'notify');
$e = thrown(fn() => $f->notify('body', ['X-List' => ['a', 'b']]));
check('notify headers must be strings', $e instanceof Pmp\InvalidRequestException);

$e = thrown(fn() => Pmp\Method::fromConfigText(env('PMP_FAKE_PLUGIN'), "fail_init: -3\n"));
check('init failure -> ConfigException', $e instanceof Pmp\ConfigException && $e->getOperation() === 'init');
$e = thrown(fn() => Pmp\Method::fromConfigText(env('PMP_FAKE_PLUGIN'), "fail_init: -13\n"));
check('init failure -> TlsException', $e instanceof Pmp\TlsException);
$e = thrown(fn() => Pmp\Method::fromConfigText(env('PMP_FAKE_BADTABLE_PLUGIN'), ""));
check('table for ABI major 2 -> LoaderException -1003', $e instanceof Pmp\LoaderException
      && $e->getCode() === Pmp\LoaderException::TABLE, $e ? $e->getMessage() : null);
?>
--EXPECT--
ok -1 -> Pmp\InvalidArgumentException
ok -2 -> Pmp\InvalidRequestException
ok -3 -> Pmp\ConfigException
ok -4 -> Pmp\NetworkException
ok -5 -> Pmp\OutcomeUnknownException
ok -6 -> Pmp\GatewayException
ok -7 -> Pmp\UnsupportedException
ok -8 -> Pmp\AbiVersionException
ok -9 -> Pmp\ForkedException
ok -10 -> Pmp\OutOfMemoryException
ok -11 -> Pmp\InternalException
ok -12 -> Pmp\ConflictException
ok -13 -> Pmp\TlsException
ok -14 -> Pmp\ProtocolException
ok -15 -> Pmp\NotFoundException
ok -16 -> Pmp\StateException
ok a code appended later -> Pmp\Exception itself
ok capabilities fails too
ok notify passes the body only
ok notify error mapped
ok notify headers must be strings
ok init failure -> ConfigException
ok init failure -> TlsException
ok table for ABI major 2 -> LoaderException -1003
