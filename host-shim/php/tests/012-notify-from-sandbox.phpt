--TEST--
A result notification sent by the sandbox over HTTP, received by the store, handed raw to notify(), answered with reply_body
--SKIPIF--
<?php
require __DIR__ . '/helper.inc';
if (getenv('PMP_NOTIFY_PORT') === '' || getenv('PMP_NOTIFY_PORT') === false) {
    echo 'skip this paid-sandbox build cannot send notifications (no --notify-url)';
} elseif (($r = notify_skip_reason()) !== null) {
    echo "skip $r";
}
?>
--FILE--
<?php
require __DIR__ . '/helper.inc';
$server = stream_socket_server('tcp://127.0.0.1:' . env('PMP_NOTIFY_PORT'), $errno, $errstr);
check('listening', $server !== false, $errstr);
$m = paid();
$b = buyer($m);
$o = uid('O');
$m->authorize(['order_id' => $o, 'buyer_id' => $b, 'amount' => 7000, 'tax' => 700]);
$m->capture(['order_id' => $o]);

/* Other tests' orders are notified to this port too: answer each, keep ours. */
$ours = null;
$deadline = microtime(true) + 20;
while ($ours === null && microtime(true) < $deadline) {
    $conn = @stream_socket_accept($server, 2);
    if ($conn === false) {
        continue;
    }
    stream_set_timeout($conn, 10);
    $head = '';
    while (!str_contains($head, "\r\n\r\n") && ($line = fgets($conn)) !== false) {
        $head .= $line;
    }
    $headers = [];
    foreach (array_slice(explode("\r\n", trim($head)), 1) as $h) {
        [$k, $v] = array_map('trim', explode(':', $h, 2)) + [1 => ''];
        $headers[$k] = $v;
    }
    $body = stream_get_contents($conn, (int)($headers['Content-Length'] ?? 0));
    try {
        $n = $m->notify($body, $headers);
        fwrite($conn, "HTTP/1.1 200 OK\r\nContent-Length: " . strlen($n['reply_body'])
            . "\r\nConnection: close\r\n\r\n" . $n['reply_body']);
        if (($n['event']['order_id'] ?? '') === $o && $n['event']['status'] === 'captured') {
            $ours = $n;
        }
    } catch (Pmp\Exception $e) {
        fwrite($conn, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        check('notify accepted the sandbox\'s body', false, $e->getMessage());
    }
    fclose($conn);
}
check('our order\'s notification arrived', $ours !== null);
check('confirmed by inquiry', $ours !== null && $ours['confirmed'] === true && $ours['matches_gateway'] === true, $ours);
check('event', $ours !== null && $ours['event']['amount'] === 7000 && $ours['event']['buyer_id'] === $b, $ours);
check('reply body', $ours !== null && $ours['reply_body'] === '0');
?>
--EXPECT--
ok listening
ok our order's notification arrived
ok confirmed by inquiry
ok event
ok reply body
