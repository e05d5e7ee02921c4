--TEST--
authorize, replay, conflict, decline, capture, status, refund, adjust, voidOrder
--FILE--
<?php
require __DIR__ . '/helper.inc';
$m = paid();
$b = buyer($m);

$o1 = uid('O');
$gw = 'untouched';
$a = $m->authorize(['order_id' => $o1, 'buyer_id' => $b, 'amount' => 100000, 'tax' => 10000,
                    'contents' => 'コピー用紙 A4 10箱', 'client_fields' => ['store-7', '', '']], $gw);
check('authorized', $a['status'] === 'authorized' && $a['order_id'] === $o1 && $a['replayed'] === false
      && $a['amount'] === 100000 && $a['tax'] === 10000 && strlen($a['access_id']) === 32, $a);
check('gateway errors by reference (none)', $gw === '', $gw);

$r = $m->authorize(['order_id' => $o1, 'buyer_id' => $b, 'amount' => 100000, 'tax' => 10000,
                    'contents' => 'コピー用紙 A4 10箱', 'client_fields' => ['store-7', '', '']]);
check('repeat is replayed', $r['status'] === 'authorized' && $r['replayed'] === true
      && $r['access_id'] === $a['access_id'], $r);

$e = thrown(fn() => $m->authorize(['order_id' => $o1, 'buyer_id' => $b, 'amount' => 99999]));
check('same order ID, other amount: ConflictException', $e instanceof Pmp\ConflictException
      && $e->getCode() === -12, $e ? $e->getMessage() : null);

$c = $m->capture(['order_id' => $o1, 'amount' => 80000, 'tax' => 8000, 'fixed_at' => '2026-12-03']);
check('captured for less', $c['status'] === 'captured' && $c['amount'] === 80000
      && $c['released_amount'] === 22000 && $c['fixed_at'] === '2026-12-03', $c);

$s = $m->status(['order_id' => $o1]);
check('status captured', $s['status'] === 'captured' && $s['gateway_status'] === 'SALES'
      && $s['buyer_id'] === $b && $s['paid_code'] !== '' && $s['client_fields'][0] === 'store-7', $s);

$rf = $m->refund(['order_id' => $o1, 'amount' => 20000, 'tax' => 2000]);
check('partial refund', $rf['status'] === 'captured' && $rf['refunded_amount'] === 20000
      && $rf['amount'] === 60000, $rf);
$rf = $m->refund(['order_id' => $o1]);
check('full refund', $rf['status'] === 'refunded', $rf);

$o2 = uid('O');
$m->authorize(['order_id' => $o2, 'buyer_id' => $b, 'amount' => 50000]);
$ad = $m->adjust(['order_id' => $o2, 'amount' => 70000, 'tax' => 7000]);
check('adjust up', $ad['status'] === 'authorized' && $ad['amount'] === 70000
      && $ad['previous_amount'] === 50000, $ad);
$ad = $m->adjust(['order_id' => $o2, 'amount' => 5000000]);
check('adjust beyond the line is declined', $ad['status'] === 'declined'
      && $ad['decline']['reason'] === 'credit_line_exceeded' && $ad['amount'] === 70000, $ad);
$v = $m->voidOrder(['order_id' => $o2]);
check('voided', $v['status'] === 'voided' && $v['amount'] === 70000, $v);
$v = $m->voidOrder(['order_id' => $o2]);
check('void repeat is replayed', $v['status'] === 'voided' && $v['replayed'] === true, $v);

$o3 = uid('O');
$gw = null;
$d = $m->authorize(['order_id' => $o3, 'buyer_id' => $b, 'amount' => 2000000], $gw);
check('over the line: declined, not an exception', $d['status'] === 'declined'
      && $d['decline']['reason'] === 'credit_line_exceeded'
      && $d['decline']['code'] === 'P01020001', $d);
check('decline ErrInfo by reference', $gw === 'P01020001', $gw);

$rb = buyer($m, 'reject@example.jp');
$d = $m->authorize(['order_id' => uid('O'), 'buyer_id' => $rb, 'amount' => 1000]);
check('rejected buyer declined', $d['status'] === 'declined'
      && $d['decline']['reason'] === 'buyer_not_approved', $d);
?>
--EXPECT--
ok authorized
ok gateway errors by reference (none)
ok repeat is replayed
ok same order ID, other amount: ConflictException
ok captured for less
ok status captured
ok partial refund
ok full refund
ok adjust up
ok adjust beyond the line is declined
ok voided
ok void repeat is replayed
ok over the line: declined, not an exception
ok decline ErrInfo by reference
ok rejected buyer declined
