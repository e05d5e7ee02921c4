--TEST--
Bad input: InvalidRequestException names the field and nothing is sent; state and not-found errors
--FILE--
<?php
require __DIR__ . '/helper.inc';
$m = paid();
$b = buyer($m);
$before = admin('GET', 'requests', ['since' => 0])['last_seq'];

$cases = [
    'unknown member' => [['order_id' => uid('O'), 'buyer_id' => $b, 'amount' => 1, 'colour' => 'red'], 'colour'],
    'missing order_id' => [['buyer_id' => $b, 'amount' => 1], 'order_id'],
    'float amount' => [['order_id' => uid('O'), 'buyer_id' => $b, 'amount' => 100.0], 'amount'],
    'string amount' => [['order_id' => uid('O'), 'buyer_id' => $b, 'amount' => '100'], 'amount'],
    'negative amount' => [['order_id' => uid('O'), 'buyer_id' => $b, 'amount' => -5], 'amount'],
    'bad order id' => [['order_id' => 'has space', 'buyer_id' => $b, 'amount' => 1], 'order_id'],
    'not Windows-31J' => [['order_id' => uid('O'), 'buyer_id' => $b, 'amount' => 1, 'contents' => "\u{1F600}"], 'contents'],
    'a list, not an object' => [[1, 2, 3], 'array with string keys'],
    'invalid UTF-8' => [['order_id' => "\xff\xfe", 'buyer_id' => $b, 'amount' => 1], 'UTF-8'],
];
foreach ($cases as $label => [$req, $needle]) {
    $e = thrown(fn() => $m->authorize($req));
    check($label, $e instanceof Pmp\InvalidRequestException && $e->getCode() === -2
          && !$e->isRetryable() && $e->getOperation() === 'authorize'
          && str_contains($e->getMessage(), $needle), $e ? get_class($e) . ': ' . $e->getMessage() : 'no exception');
}
$e = thrown(fn() => $m->authorize());
check('no request at all', $e instanceof ArgumentCountError);
$e = thrown(fn() => $m->status(['order_id' => []]));
check('wrong type', $e instanceof Pmp\InvalidRequestException, $e ? $e->getMessage() : null);

$after = admin('GET', 'requests', ['since' => 0])['last_seq'];
check('nothing reached the gateway', $after === $before, [$before, $after]);

$o = uid('O');
$m->authorize(['order_id' => $o, 'buyer_id' => $b, 'amount' => 1000]);
$e = thrown(fn() => $m->refund(['order_id' => $o]));
check('refund before capture: StateException', $e instanceof Pmp\StateException && $e->getCode() === -16,
      $e ? $e->getMessage() : null);
$e = thrown(fn() => $m->status(['order_id' => uid('NO')]));
check('status of an unknown order: NotFoundException', $e instanceof Pmp\NotFoundException,
      $e ? $e->getMessage() : null);
$e = thrown(fn() => $m->capture(['order_id' => uid('NO')]));
check('capture of an unknown order: NotFoundException', $e instanceof Pmp\NotFoundException,
      $e ? $e->getMessage() : null);
check('every exception is a Pmp\Exception', $e instanceof Pmp\Exception && $e instanceof RuntimeException);
?>
--EXPECT--
ok unknown member
ok missing order_id
ok float amount
ok string amount
ok negative amount
ok bad order id
ok not Windows-31J
ok a list, not an object
ok invalid UTF-8
ok no request at all
ok wrong type
ok nothing reached the gateway
ok refund before capture: StateException
ok status of an unknown order: NotFoundException
ok capture of an unknown order: NotFoundException
ok every exception is a Pmp\Exception
