<?php
/*
 * A minimal B2B store's checkout with Paid, in PHP (extension "pmp").
 *
 * Run it with `examples/run.sh php`, which starts a sandbox and sets:
 *   STORE_METHODS       the store's methods file (which payment plugins are on)
 *   STORE_NOTIFY_PORT   where to receive result notifications ("" when the
 *                       sandbox cannot send them)
 *   STORE_SANDBOX_BASE, STORE_SANDBOX_CA  the sandbox's admin API (used only to
 *                       print what the gateway holds)
 *   PAID_SHOP_PASS      the plugin configuration's shop password
 *
 * The story: the store loads its payment methods from configuration,
 * registers a buyer company, shows the methods eligible for two carts (Paid
 * hidden for the one over the buyer's credit line), authorizes the order with
 * the method the buyer picked, ships it (capture), and receives Paid's result
 * notification for the shipment.
 */
declare(strict_types=1);

const STORE_OWN_METHODS = ['card' => 'Credit card', 'transfer' => 'Bank transfer'];

function say(string $step, string $text): void
{
    echo "[$step] $text\n";
}

function yen(int $n): string
{
    return number_format($n) . ' JPY';
}

/* Waits for one HTTP request on $server, hands its raw body to the plugin,
 * stores the event once (by event_key) and answers what the plugin says.
 * In a real store this is a route of the web application. */
function receive_notification($server, Pmp\Method $paid, array &$events, int $timeout)
{
    $conn = @stream_socket_accept($server, $timeout);
    if ($conn === false) {
        return null;
    }
    stream_set_timeout($conn, 10);
    $head = '';
    while (!str_contains($head, "\r\n\r\n") && ($chunk = fgets($conn)) !== false) {
        $head .= $chunk;
    }
    $headers = [];
    foreach (array_slice(explode("\r\n", trim($head)), 1) as $line) {
        [$k, $v] = array_map('trim', explode(':', $line, 2)) + [1 => ''];
        $headers[$k] = $v;
    }
    $length = (int)($headers['Content-Length'] ?? 0);
    $body = $length > 0 ? stream_get_contents($conn, $length) : '';
    try {
        $n = $paid->notify($body, $headers);
    } catch (Pmp\Exception $e) {
        /* Not stored: answer an error, the gateway sends it again. */
        fwrite($conn, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        fclose($conn);
        return $e;
    }
    $first = !isset($events[$n['event_key']]);
    $events[$n['event_key']] ??= $n['event'];
    $reply = $n['reply_body'];
    fwrite($conn, "HTTP/1.1 200 OK\r\nContent-Length: " . strlen($reply) . "\r\nConnection: close\r\n\r\n$reply");
    fclose($conn);
    return [$n, $first];
}

function gateway_record(string $orderId): array
{
    $ctx = stream_context_create(['ssl' => ['cafile' => getenv('STORE_SANDBOX_CA')]]);
    $json = file_get_contents(getenv('STORE_SANDBOX_BASE') . '_sandbox/transactions/' . $orderId,
                              false, $ctx);
    return json_decode($json, true, 512, JSON_THROW_ON_ERROR);
}

function main(): int
{
    $file = getenv('STORE_METHODS');
    $stamp = date('His');
    $methods = new Pmp\Methods($file);
    say('config', "methods file $file");
    foreach ($methods->all() as $d) {
        $c = $d['capabilities'];
        $features = implode(', ', array_filter(['partial_capture', 'refund', 'void', 'adjust',
            'async_review', 'notifications', 'payer_enrollment'], fn($k) => !empty($c[$k])));
        say('config', "  {$d['name']}: \"{$d['label']}\" = plugin {$d['method']} {$d['plugin_version']} "
            . "($features; " . yen($c['amount_min']) . ' to ' . yen($c['amount_max']) . ')');
    }
    say('config', '  and the store\'s own: ' . implode(', ', STORE_OWN_METHODS));

    /* The buyer picks Paid: the checkout takes it by its name in the file. */
    $paid = $methods->get('paid');

    $buyer = "B-$stamp";
    $e = $paid->enroll([
        'buyer_id' => $buyer, 'company_name' => '株式会社サンプル商事',
        'company_name_kana' => 'カブシキガイシャサンプルショウジ', 'zip_code' => '1500002',
        'prefecture' => '東京都', 'address1' => '渋谷区渋谷', 'address2' => '1-2-3',
        'tel' => '03-1234-5678', 'email' => 'buyer@example.jp',
    ]);
    say('account', "buyer $buyer registered with {$paid->label()}: screening {$e['status']}");

    foreach ([[120000, 12000], [2000000, 200000]] as [$amount, $tax]) {
        $offers = $methods->offers(['buyer_id' => $buyer, 'amount' => $amount, 'tax' => $tax]);
        $shown = array_values(STORE_OWN_METHODS);
        $hidden = [];
        foreach ($offers as $o) {
            if ($o['eligible']) {
                $shown[] = $o['label'];
            } else {
                $hidden[] = "{$o['label']} ({$o['reason']})";
            }
        }
        say('cart', yen($amount) . ' + ' . yen($tax) . ' tax: offered ' . implode(', ', $shown)
            . ($hidden ? '; hidden ' . implode(', ', $hidden) : ''));
    }

    $server = null;
    $port = getenv('STORE_NOTIFY_PORT') ?: '';
    if ($port !== '') {
        $server = stream_socket_server("tcp://127.0.0.1:$port", $errno, $errstr);
        if ($server === false) {
            say('notify', "cannot listen on port $port: $errstr");
            return 1;
        }
    }

    $order = "ORD-$stamp-1";
    $a = $paid->authorize(['order_id' => $order, 'buyer_id' => $buyer, 'amount' => 120000,
                           'tax' => 12000, 'contents' => 'コピー用紙 A4 10箱']);
    if ($a['status'] !== 'authorized') {
        say('order', "$order: {$a['status']} (" . ($a['decline']['reason'] ?? 'no reason given') . ')');
        return 1;
    }
    say('order', "$order with {$paid->label()}: {$a['status']}, " . yen($a['amount']) . ' + '
        . yen($a['tax']) . " tax (gateway {$a['gateway_status']}, calls "
        . implode(', ', $a['gateway_calls']) . ')');

    $c = $paid->capture(['order_id' => $order, 'fixed_at' => date('Y-m-d')]);
    $line = "$order: {$c['status']} on {$c['fixed_at']}";
    if (!empty($c['settlement'])) {
        $s = $c['settlement'];
        $line .= "; invoiced {$s['invoice_issue_date']}, due {$s['invoice_due_date']}, "
            . "paid out to the store {$s['expected_deposit_date']}";
    }
    say('ship', $line);

    $notified = false;
    if ($server === null) {
        say('notify', 'skipped: this sandbox build cannot send result notifications (no --notify-url)');
    } else {
        $events = [];
        $got = receive_notification($server, $paid, $events, 15);
        fclose($server);
        if ($got === null) {
            say('notify', 'skipped: no notification arrived within 15 s');
        } elseif ($got instanceof Pmp\UnsupportedException) {
            say('notify', 'skipped: this plugin build does not handle notifications yet (PMP_E_UNSUPPORTED)');
        } elseif ($got instanceof Pmp\Exception) {
            say('notify', 'refused: ' . $got->getMessage());
            return 1;
        } else {
            [$n, $first] = $got;
            $ev = $n['event'];
            say('notify', "{$ev['order_id']}: {$ev['status']} (gateway {$ev['gateway_status']}, confirmed "
                . var_export($n['confirmed'], true) . '), stored once under '
                . substr($n['event_key'], 0, 12) . "..., answered '{$n['reply_body']}'");
            $notified = true;
        }
    }

    $st = $paid->status(['order_id' => $order]);
    $rec = gateway_record($order);
    say('status', "$order: {$st['status']}, Paid code {$st['paid_code']}; the gateway holds "
        . "{$rec['status']} " . yen($rec['amount']) . ' + ' . yen($rec['tax']) . ' tax');
    say('done', "the order's life: registered, offered, authorized, shipped" . ($notified ? ', notified' : ''));
    return 0;
}

try {
    exit(main());
} catch (Pmp\OutcomeUnknownException $e) {
    fwrite(STDERR, "outcome unknown, retry with the same order ID later: {$e->getMessage()}\n");
    exit(3);
} catch (Pmp\Exception $e) {
    fwrite(STDERR, 'payment error: ' . get_class($e) . ": {$e->getMessage()}\n");
    exit(1);
}
