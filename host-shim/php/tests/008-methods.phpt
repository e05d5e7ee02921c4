--TEST--
Pmp\Methods: a methods file, each method's capabilities, and the eligible methods for a cart
--FILE--
<?php
require __DIR__ . '/helper.inc';
$ms = new Pmp\Methods(env('PMP_METHODS'));
check('two enabled methods (the disabled one is not loaded)', count($ms) === 2
      && $ms->names() === ['paid', 'paid-second-shop'], $ms->names());
check('has', $ms->has('paid') && !$ms->has('paid-off'));
$all = $ms->all();
check('all(): labels and capabilities', $all[0]['label'] === 'Paid (invoice, month-end)'
      && $all[1]['label'] === 'Paid, second shop' && $all[0]['method'] === 'paid'
      && $all[0]['capabilities']['payer_enrollment'] === true
      && str_ends_with($all[0]['config'], '/paid.yaml'), $all);
$paid = $ms->get('paid');
check('get(): a Pmp\Method with name and label', $paid instanceof Pmp\Method && $paid->name() === 'paid'
      && $paid->label() === 'Paid (invoice, month-end)' && $paid->methodName() === 'paid');
$e = thrown(fn() => $ms->get('card'));
check('get() of an unknown name: OutOfBoundsException', $e instanceof OutOfBoundsException);
$names = [];
foreach ($ms as $name => $m) {
    $names[] = $name . '=' . $m->label();
}
check('iteration', $names === ['paid=Paid (invoice, month-end)', 'paid-second-shop=Paid, second shop'], $names);

$b = buyer($paid);
$offers = $ms->offers(['buyer_id' => $b, 'amount' => 120000, 'tax' => 12000]);
check('approved buyer, small cart: both offered', $offers[0]['eligible'] && $offers[1]['eligible']
      && $offers[0]['reason'] === 'ok' && $offers[0]['rest_amount'] === 1000000, $offers);
$el = $ms->eligible(['buyer_id' => $b, 'amount' => 990000, 'tax' => 99000]);
check('cart over the line: Paid hidden', $el === [], $el);
$offers = $ms->offers(['buyer_id' => $b, 'amount' => 990000, 'tax' => 99000]);
check('reason credit_line_exceeded', $offers[0]['reason'] === 'credit_line_exceeded', $offers);
$offers = $ms->offers(['buyer_id' => uid('NB'), 'amount' => 1000]);
check('unknown buyer: buyer_not_enrolled', !$offers[0]['eligible']
      && $offers[0]['reason'] === 'buyer_not_enrolled' && $offers[0]['code'] === -15, $offers);
$rej = buyer($paid, 'reject@example.jp');
check('rejected buyer hidden', $ms->offers(['buyer_id' => $rej, 'amount' => 1000])[0]['reason'] === 'buyer_rejected');
check('guest: no_buyer', $ms->offers(['amount' => 1000])[0]['reason'] === 'no_buyer');
check('amount 0: amount_out_of_range', $ms->offers(['buyer_id' => $b, 'amount' => 0])[0]['reason'] === 'amount_out_of_range');
$e = thrown(fn() => $ms->eligible(['buyer_id' => $b, 'amount' => -1]));
check('negative amount refused', $e instanceof ValueError);
$e = thrown(fn() => $ms->eligible(['buyer_id' => $b]));
check('amount required', $e instanceof ValueError);
$e = thrown(fn() => $ms->eligible(['buyer_id' => $b, 'amount' => 1, 'currency' => 'JPY']));
check('unknown cart key refused', $e instanceof ValueError);

/* A Method from the list outlives the list object it came from. */
unset($ms, $m);
$r = $paid->authorize(['order_id' => uid('O'), 'buyer_id' => $b, 'amount' => 1000]);
check('a Method keeps its list alive', $r['status'] === 'authorized');
unset($paid);

/* A second kind of plugin next to Paid: the test-only fake plugin, which
 * does not screen buyers (payer_enrollment false, amounts 1..1000). */
$file = env('PMP_WORK') . '/methods-mixed.yaml';
file_put_contents($file, "methods:\n"
    . "  - name: paid\n    label: Paid\n    plugin: " . env('PMP_PLUGIN') . "\n    config: " . env('PMP_CONFIG') . "\n"
    . "  - name: other\n    label: Other (test-only fake plugin)\n    plugin: " . env('PMP_FAKE_PLUGIN') . "\n    config: /dev/null\n");
$mx = new Pmp\Methods($file);
$el = array_column($mx->eligible(['amount' => 500]), 'name');
check('guest cart: only the method that does not screen', $el === ['other'], $el);
$el = array_column($mx->eligible(['buyer_id' => $b, 'amount' => 500]), 'name');
check('known buyer: both', $el === ['paid', 'other'], $el);
$el = array_column($mx->eligible(['buyer_id' => $b, 'amount' => 5000]), 'name');
check('over the fake method\'s amount_max: only Paid', $el === ['paid'], $el);

$logged = [];
$ml = new Pmp\Methods($file, ['logger' => function (int $level, string $msg) use (&$logged) { $logged[] = $msg; }]);
check('a logger for the whole list', in_array('fake plugin ready', $logged, true), $logged);

$e = thrown(fn() => new Pmp\Methods(env('PMP_WORK') . '/missing-methods.yaml'));
check('missing methods file: LoaderException -1005', $e instanceof Pmp\LoaderException
      && $e->getCode() === -1005, $e ? $e->getMessage() : null);
?>
--EXPECT--
ok two enabled methods (the disabled one is not loaded)
ok has
ok all(): labels and capabilities
ok get(): a Pmp\Method with name and label
ok get() of an unknown name: OutOfBoundsException
ok iteration
ok approved buyer, small cart: both offered
ok cart over the line: Paid hidden
ok reason credit_line_exceeded
ok unknown buyer: buyer_not_enrolled
ok rejected buyer hidden
ok guest: no_buyer
ok amount 0: amount_out_of_range
ok negative amount refused
ok amount required
ok unknown cart key refused
ok a Method keeps its list alive
ok guest cart: only the method that does not screen
ok known buyer: both
ok over the fake method's amount_max: only Paid
ok a logger for the whole list
ok missing methods file: LoaderException -1005
