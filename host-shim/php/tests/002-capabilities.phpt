--TEST--
Pmp\Method::capabilities(): the plugin's feature flags as an array
--FILE--
<?php
require __DIR__ . '/helper.inc';
$m = paid();
$c = $m->capabilities();
check('operation/status', $c['operation'] === 'capabilities' && $c['status'] === 'ok');
check('method and ABI', $c['method'] === 'paid' && $c['abi_major'] === Pmp\Method::ABI_MAJOR);
check('plugin version matches', $c['plugin_version'] === $m->pluginVersion());
$flags = 0;
$bits = ['partial_capture' => 0, 'multiple_captures' => 1, 'refund' => 2, 'partial_refund' => 3,
         'void' => 4, 'adjust' => 5, 'async_review' => 6, 'notifications' => 7, 'payer_enrollment' => 8];
foreach ($bits as $name => $bit) {
    if ($c[$name] === true) {
        $flags |= 1 << $bit;
    }
}
check('flags equal the named booleans', ($c['flags'] & 0x1ff) === $flags, $c);
check('JPY amounts', $c['currency'] === 'JPY' && $c['amount_min'] === 1 && is_int($c['amount_max']));
check('sends nothing', $c['gateway_calls'] === []);
check('same with an explicit empty request', $m->capabilities([])['flags'] === $c['flags']);
?>
--EXPECT--
ok operation/status
ok method and ABI
ok plugin version matches
ok flags equal the named booleans
ok JPY amounts
ok sends nothing
ok same with an explicit empty request
