--TEST--
notify(): a result notification parsed, confirmed by inquiry, de-duplicated by event_key; the body to answer
--SKIPIF--
<?php
require __DIR__ . '/helper.inc';
$r = notify_skip_reason();
if ($r !== null) {
    echo "skip $r";
}
?>
--FILE--
<?php
require __DIR__ . '/helper.inc';
$m = paid();
$b = buyer($m);
$o = uid('O');
$a = $m->authorize(['order_id' => $o, 'buyer_id' => $b, 'amount' => 40000, 'tax' => 4000]);
$m->capture(['order_id' => $o]);
$s = $m->status(['order_id' => $o]);
$body = notification(['AccessID' => $a['access_id'], 'OrderID' => $o, 'Status' => 'SALES',
                      'JobCd' => 'SALES', 'Amount' => 40000, 'Tax' => 4000,
                      'PaidBuyerID' => $b, 'PaidCode' => $s['paid_code']]);
$headers = ['Content-Type' => 'application/x-www-form-urlencoded'];

$n = $m->notify($body, $headers);
check('operation and status', $n['operation'] === 'notify' && $n['status'] === 'captured', $n);
check('event: the confirmed order state', is_array($n['event']) && $n['event']['order_id'] === $o
      && $n['event']['status'] === 'captured' && $n['event']['amount'] === 40000
      && $n['event']['buyer_id'] === $b, $n);
check('confirmed and matching', $n['confirmed'] === true && $n['matches_gateway'] === true, $n);
check('event_key is a SHA-256', preg_match('/^[0-9a-f]{64}$/', $n['event_key']) === 1, $n);
check('reply body', $n['reply_body'] === '0', $n);
check('no password member', !str_contains(strtolower(json_encode($n)), 'pass'));
$again = $m->notify($body, $headers);
check('a resend has the same event_key', $again['event_key'] === $n['event_key']);

$stale = notification(['AccessID' => $a['access_id'], 'OrderID' => $o, 'Status' => 'AUTH',
                       'JobCd' => 'AUTH', 'Amount' => 40000, 'Tax' => 4000, 'PaidBuyerID' => $b,
                       'TranDate' => '20200101000000']);
$st = $m->notify($stale);
check('stale notification: the gateway state wins', $st['matches_gateway'] === false
      && $st['event']['status'] === 'captured' && $st['event_key'] !== $n['event_key'], $st);

$t = $m->notify(notification(['ErrInfo' => 'E00000000']));
check('connectivity test', $t['status'] === 'test' && $t['event'] === null && $t['reply_body'] === '0', $t);

$e = thrown(fn() => $m->notify(notification(['ShopID' => 'tshop99999999', 'OrderID' => $o,
    'Status' => 'SALES', 'Amount' => 1, 'Tax' => 0])));
check('another shop: InvalidRequestException', $e instanceof Pmp\InvalidRequestException
      && $e->getOperation() === 'notify', $e ? get_class($e) . ': ' . $e->getMessage() : 'no exception');
$e = thrown(fn() => $m->notify("\x00\xff garbage"));
check('garbage body: InvalidRequestException', $e instanceof Pmp\InvalidRequestException,
      $e ? get_class($e) . ': ' . $e->getMessage() : 'no exception');
$e = thrown(fn() => $m->notify($body, ['Content-Type' => 'application/json']));
check('wrong content type refused', $e instanceof Pmp\InvalidRequestException,
      $e ? get_class($e) . ': ' . $e->getMessage() : 'no exception');
$e = thrown(fn() => $m->notify(notification(['OrderID' => uid('NO'), 'Status' => 'SALES',
    'Amount' => 1, 'Tax' => 0])));
check('unknown order: NotFoundException', $e instanceof Pmp\NotFoundException,
      $e ? get_class($e) . ': ' . $e->getMessage() : 'no exception');
?>
--EXPECT--
ok operation and status
ok event: the confirmed order state
ok confirmed and matching
ok event_key is a SHA-256
ok reply body
ok no password member
ok a resend has the same event_key
ok stale notification: the gateway state wins
ok connectivity test
ok another shop: InvalidRequestException
ok garbage body: InvalidRequestException
ok wrong content type refused
ok unknown order: NotFoundException
