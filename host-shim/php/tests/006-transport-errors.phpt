--TEST--
Outcome unknown (lost answer and failed inquiry), network and TLS errors: codes and retryable flags
--FILE--
<?php
require __DIR__ . '/helper.inc';
$m = paid();
$b = buyer($m);

/* The order is placed at the gateway but its answer is lost, and every
 * inquiry fails too: the plugin must say "outcome unknown", retryable. */
admin('DELETE', 'faults');
admin('POST', 'faults', ['op' => 'ExecTranPaid', 'kind' => 'drop_after_commit', 'count' => 1]);
admin('POST', 'faults', ['op' => 'SearchTradeMulti', 'kind' => 'drop_before_commit', 'count' => 50]);
$o = uid('O');
$e = thrown(fn() => $m->authorize(['order_id' => $o, 'buyer_id' => $b, 'amount' => 3000]));
admin('DELETE', 'faults');
check('OutcomeUnknownException', $e instanceof Pmp\OutcomeUnknownException && $e->getCode() === -5,
      $e ? get_class($e) . ': ' . $e->getMessage() : 'no exception');
check('retryable with the same order ID', $e instanceof Pmp\Exception && $e->isRetryable());
$a = $m->authorize(['order_id' => $o, 'buyer_id' => $b, 'amount' => 3000]);
check('the retry finds the order placed', $a['status'] === 'authorized' && $a['replayed'] === true, $a);
$tx = admin('GET', 'transactions/' . $o);
check('exactly one order at the gateway', $tx['status'] === 'AUTH' && $tx['amount'] === 3000, $tx);

$n = new Pmp\Method(env('PMP_PLUGIN'), env('PMP_WORK') . '/paid-network.yaml');
$e = thrown(fn() => $n->status(['order_id' => $o]));
check('NetworkException, retryable', $e instanceof Pmp\NetworkException && $e->getCode() === -4
      && $e->isRetryable(), $e ? get_class($e) . ': ' . $e->getMessage() : 'no exception');

$t = new Pmp\Method(env('PMP_PLUGIN'), env('PMP_WORK') . '/paid-tls.yaml');
$e = thrown(fn() => $t->status(['order_id' => $o]));
check('TlsException, not retryable', $e instanceof Pmp\TlsException && $e->getCode() === -13
      && !$e->isRetryable(), $e ? get_class($e) . ': ' . $e->getMessage() : 'no exception');

?>
--EXPECT--
ok OutcomeUnknownException
ok retryable with the same order ID
ok the retry finds the order placed
ok exactly one order at the gateway
ok NetworkException, retryable
ok TlsException, not retryable
