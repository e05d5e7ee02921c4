--TEST--
Methods files: the shared corpus (host-shim/loader/testdata/methods) accepted and refused as expected by the C loader
--FILE--
<?php
require __DIR__ . '/helper.inc';
$dir = env('PMP_METHODS_CORPUS');
$files = glob("$dir/*.yaml");
sort($files);
check('corpus present', count($files) >= 10, $files);
foreach ($files as $file) {
    $first = strtok(file_get_contents($file), "\n");
    $name = basename($file);
    if (preg_match('/^# expect: ok (\d+)$/', $first, $mm)) {
        $e = thrown(function () use ($file, $mm, &$n) { $n = count(new Pmp\Methods($file)); });
        check($name, $e === null && $n === (int)$mm[1], $e ? $e->getMessage() : $n);
    } elseif (preg_match('/^# expect: error (\d+): (.*)$/', $first, $mm)) {
        $e = thrown(fn() => new Pmp\Methods($file));
        check($name, $e instanceof Pmp\Exception
              && str_contains($e->getMessage(), basename($file) . ':' . $mm[1] . ': ' . $mm[2]),
              $e ? get_class($e) . ': ' . $e->getMessage() : 'no exception');
    } else {
        check($name, false, 'no expect line');
    }
}
?>
--EXPECTF--
ok corpus present
ok bad-duplicate-key.yaml
ok bad-duplicate-name.yaml
ok bad-empty-config.yaml
ok bad-enabled.yaml
ok bad-missing-label.yaml
ok bad-name.yaml
ok bad-no-methods.yaml
ok bad-not-list.yaml
ok bad-plugin.yaml
ok bad-top-key.yaml
ok bad-unknown-key.yaml
ok ok-basic.yaml
ok ok-empty.yaml
ok ok-styles.yaml
