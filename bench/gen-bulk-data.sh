#!/bin/sh
# Writes test data for `pmp-host bulk`: buyers to enroll, orders to authorize,
# and the month-end batch to run on them (shipping reports, status checks,
# voids), for the sandbox or any test shop.
#
#   bench/gen-bulk-data.sh [--orders N] [--prefix P] [--per-buyer M]
#                          [--amount A] [--tax T] [--fixed-at YYYY-MM-DD] DIR
#
# DIR receives:
#   enroll.jsonl      one enroll per buyer; the e-mail address line10000000@...
#                     gets a 10,000,000 JPY line from the sandbox
#   authorize.jsonl   N orders, M per buyer
#   capture.csv       N shipping reports (CSV)
#   capture.jsonl     the same as JSON lines
#   status.csv        N status checks
#   void.jsonl        N voids
#
# Then, for example:
#   pmp-host --config C bulk DIR/enroll.jsonl --out DIR/enroll.out
#   pmp-host --config C bulk DIR/authorize.jsonl -j 8 --out DIR/authorize.out
#   pmp-host --config C bulk DIR/capture.csv -j 32 --out DIR/capture.out
set -eu

orders=1000
prefix=BLK
per_buyer=5000
amount=1000
tax=100
fixed_at=""

usage() {
    sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'
    exit "$1"
}

while [ $# -gt 0 ]; do
    case "$1" in
    --orders) orders=$2; shift 2 ;;
    --prefix) prefix=$2; shift 2 ;;
    --per-buyer) per_buyer=$2; shift 2 ;;
    --amount) amount=$2; shift 2 ;;
    --tax) tax=$2; shift 2 ;;
    --fixed-at) fixed_at=$2; shift 2 ;;
    -h | --help) usage 0 ;;
    -*) echo "gen-bulk-data: unknown option $1" >&2; usage 2 ;;
    *) break ;;
    esac
done
[ $# -eq 1 ] || usage 2
dir=$1

for v in "$orders" "$per_buyer" "$amount" "$tax"; do
    case "$v" in
    '' | *[!0-9]*) echo "gen-bulk-data: counts and amounts are whole numbers" >&2; exit 2 ;;
    esac
done
case "$prefix" in
'' | *[!A-Za-z0-9-]*) echo "gen-bulk-data: --prefix takes A-Z a-z 0-9 -" >&2; exit 2 ;;
esac
# OrderID is at most 27 characters: PREFIX-O-NNNNNNN.
if [ ${#prefix} -gt 16 ]; then
    echo "gen-bulk-data: --prefix is at most 16 characters" >&2
    exit 2
fi
if [ "$per_buyer" -lt 1 ] || [ $((per_buyer * (amount + tax))) -gt 10000000 ]; then
    echo "gen-bulk-data: --per-buyer orders of amount+tax must fit a 10,000,000 JPY line" >&2
    exit 2
fi

mkdir -p "$dir"
awk -v n="$orders" -v p="$prefix" -v per="$per_buyer" -v amount="$amount" -v tax="$tax" \
    -v fixed="$fixed_at" -v dir="$dir" '
BEGIN {
    buyers = int((n + per - 1) / per)
    enroll = dir "/enroll.jsonl"
    for (b = 1; b <= buyers; b++)
        printf "{\"op\":\"enroll\",\"buyer_id\":\"%s-B-%d\",\"company_name\":\"株式会社バルク商事%d\"," \
               "\"company_name_kana\":\"カブシキガイシャバルクショウジ\",\"zip_code\":\"1500002\"," \
               "\"prefecture\":\"東京都\",\"address1\":\"渋谷区渋谷\",\"address2\":\"1-2-3\"," \
               "\"tel\":\"03-1234-5678\",\"email\":\"line10000000.%d@example.jp\"}\n", \
               p, b, b, b > enroll
    auth = dir "/authorize.jsonl"
    cap_csv = dir "/capture.csv"
    cap_jsonl = dir "/capture.jsonl"
    status = dir "/status.csv"
    void = dir "/void.jsonl"
    print "op,order_id,fixed_at" > cap_csv
    print "op,order_id" > status
    for (i = 1; i <= n; i++) {
        b = int((i - 1) / per) + 1
        id = sprintf("%s-O-%07d", p, i)
        printf "{\"op\":\"authorize\",\"order_id\":\"%s\",\"buyer_id\":\"%s-B-%d\",\"amount\":%d,\"tax\":%d}\n", \
               id, p, b, amount, tax > auth
        printf "capture,%s,%s\n", id, fixed > cap_csv
        if (fixed != "")
            printf "{\"op\":\"capture\",\"order_id\":\"%s\",\"fixed_at\":\"%s\"}\n", id, fixed > cap_jsonl
        else
            printf "{\"op\":\"capture\",\"order_id\":\"%s\"}\n", id > cap_jsonl
        printf "status,%s\n", id > status
        printf "{\"op\":\"void\",\"order_id\":\"%s\"}\n", id > void
    }
}'
echo "gen-bulk-data: $orders orders for $(((orders + per_buyer - 1) / per_buyer)) buyer(s) in $dir"
