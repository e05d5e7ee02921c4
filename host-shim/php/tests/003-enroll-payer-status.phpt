--TEST--
enroll and payerStatus: screening outcomes, remaining line, eligibility, unknown buyer
--FILE--
<?php
require __DIR__ . '/helper.inc';
$m = paid();

$id = uid('B');
$r = $m->enroll([
    'buyer_id' => $id, 'company_name' => '株式会社テスト商事',
    'company_name_kana' => 'カブシキガイシャテストショウジ', 'zip_code' => '1500002',
    'prefecture' => '東京都', 'address1' => '渋谷区渋谷', 'address2' => '1-2-3',
    'address3' => 'テストビル5F', 'tel' => '03-1234-5678', 'email' => 'buyer@example.jp',
    'established_year' => 2001, 'annual_sales' => 500000000,
]);
check('enroll approved', $r['operation'] === 'enroll' && $r['status'] === 'approved'
      && $r['buyer_id'] === $id && $r['paid_id'] !== '', $r);
check('enroll gateway calls', $r['gateway_calls'] === ['SavePaidBuyer', 'CheckPaidBuyer'], $r);

$s = $m->payerStatus(['buyer_id' => $id]);
check('payer_status approved, no eligible without amount', $s['status'] === 'approved'
      && $s['rest_amount'] === 1000000 && !array_key_exists('eligible', $s), $s);
$s = $m->payerStatus(['buyer_id' => $id, 'amount' => 120000, 'tax' => 12000]);
check('eligible for 132,000', $s['eligible'] === true, $s);
$s = $m->payerStatus(['buyer_id' => $id, 'amount' => 990000, 'tax' => 99000]);
check('not eligible for 1,089,000', $s['eligible'] === false, $s);

$rej = buyer($m, 'reject@example.jp');
$s = $m->payerStatus(['buyer_id' => $rej, 'amount' => 1000]);
check('rejected buyer', $s['status'] === 'rejected' && $s['eligible'] === false, $s);

$rev = buyer($m, 'review@example.jp');
$s = $m->payerStatus(['buyer_id' => $rev]);
check('buyer under screening', $s['status'] === 'screening', $s);

$e = thrown(fn() => $m->payerStatus(['buyer_id' => uid('NB')]));
check('unknown buyer: NotFoundException', $e instanceof Pmp\NotFoundException && $e->getCode() === -15
      && $e->getGatewayCodes() !== [] && !$e->isRetryable(), $e ? $e->getMessage() : null);
?>
--EXPECT--
ok enroll approved
ok enroll gateway calls
ok payer_status approved, no eligible without amount
ok eligible for 132,000
ok not eligible for 1,089,000
ok rejected buyer
ok buyer under screening
ok unknown buyer: NotFoundException
