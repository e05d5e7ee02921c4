--TEST--
Logger option: plugin log lines reach a PHP callable after the call; no password in logs, results or messages
--FILE--
<?php
require __DIR__ . '/helper.inc';
$lines = [];
$yaml = str_replace('level: warn', 'level: debug', file_get_contents(env('PMP_CONFIG')));
$m = Pmp\Method::fromConfigText(env('PMP_PLUGIN'), $yaml, ['log_level' => 'debug',
    'logger' => function (int $level, string $msg) use (&$lines) { $lines[] = [$level, $msg]; }]);
$b = buyer($m);
$out = json_encode($m->authorize(['order_id' => uid('O'), 'buyer_id' => $b, 'amount' => 1000]));
$e = thrown(fn() => $m->capture(['order_id' => uid('NO')]));
$out .= $e->getMessage();
check('debug lines received', count($lines) > 3, count($lines));
$levels = array_unique(array_column($lines, 0));
check('levels are PMP_LOG_* values', array_diff($levels, [1, 2, 3, 4]) === []);
$all = $out . json_encode($lines, JSON_UNESCAPED_UNICODE);
check('no shop password anywhere', !str_contains($all, getenv('PAID_SHOP_PASS')));
$tx = admin('GET', 'transactions');
$leak = false;
foreach ($tx['transactions'] as $t) {
    if ($t['access_pass'] !== '' && str_contains($all, $t['access_pass'])) {
        $leak = true;
    }
}
check('no access password anywhere', !$leak);

/* A logger that throws never unwinds through the plugin: its exception
 * surfaces once the plugin call (here: init) has returned. */
$e = thrown(fn() => Pmp\Method::fromConfigText(env('PMP_FAKE_PLUGIN'), '',
    ['logger' => function () { throw new LogicException('logger broke'); }]));
check('exception from the logger propagates after the call', $e instanceof LogicException);
check('the method is still usable', paid()->capabilities()['status'] === 'ok');
?>
--EXPECT--
ok debug lines received
ok levels are PMP_LOG_* values
ok no shop password anywhere
ok no access password anywhere
ok exception from the logger propagates after the call
ok the method is still usable
