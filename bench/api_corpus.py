#!/usr/bin/env python3
"""Seeded generator of realistic, number-dense web-API HTTP/1.1 request traffic
that holds no intended payment card number or US Social Security number: the
input for measuring the scanner's false positives (bench/false_positives.sh).

    python3 bench/api_corpus.py [--seed N] [--size MiB] [--kind KIND] [--out FILE]
    python3 bench/api_corpus.py --verify FILE...

--kind
  api       (default) the mix: JSON API bodies (orders, carts, catalog,
            analytics events, invoices, shipments, GraphQL), url-encoded
            forms, GET requests with query strings, HTML fragments and
            plain-text/CSV exports; headers with cookies, request and trace ids
  tables    plain-text/CSV bodies of 4-digit numbers separated by spaces
            (random tables, timetables, postcode lists, ...)
  iban      lists of IBANs (valid mod-97 check digits; compact and in groups of 4)
  tracking  lists of parcel tracking numbers (UPS, FedEx, USPS, DHL, SSCC, ...)
  ean       lists of GTIN-13/EAN-13, UPC-12, GTIN-14, EAN-8, ISBN-13 codes
  all       api, tables, iban, tracking and ean, one after the other, each
            --size/5 MiB (the same bytes as each kind alone at that size)

The output is a stream of complete requests (Content-Length exact, a few
bodies chunked) and stops at the first request end past --size MiB. Nothing
is named card/pan/cc/ssn/social and no value is written AAA-GG-SSSS; random
digits that happen to pass Luhn and a brand's prefix are what is measured.
Same --seed, --size and --kind: the same bytes (Python's `random` with an int
seed is stable across runs and versions 3.2+).

--verify FILE... reads each file as an HTTP/1.1 request stream and checks its
framing (request lines, headers, Content-Length and chunk sizes, nothing left
over); exit 1 on the first error.
"""
import argparse
import json
import random
import sys
import time
from urllib.parse import quote, urlencode

MIB = 1024 * 1024
KINDS = ("api", "tables", "iban", "tracking", "ean")

# ---------------------------------------------------------------- check digits


def gs1_check(body):
    """GS1 check digit (GTIN-8/12/13/14, SSCC, USPS IMpb): weights 3,1 from the right."""
    s = 0
    w = 3
    for c in reversed(body):
        s += (ord(c) - 48) * w
        w = 4 - w
    return str((10 - s % 10) % 10)


def iban_check(country, bban):
    s = bban + country + "00"
    num = "".join(str(int(c, 36)) for c in s)
    return "%02d" % (98 - int(num) % 97)


def ups_check(s):
    """UPS 1Z check digit over the 15 characters after '1Z'."""
    total = 0
    for i, c in enumerate(s):
        v = (ord(c) - 48) if c.isdigit() else (ord(c) - 63) % 10
        total += v * 2 if i % 2 else v
    return str((10 - total % 10) % 10)


def fedex12_check(s11):
    w = (1, 3, 7)
    total = sum((ord(c) - 48) * w[i % 3] for i, c in enumerate(reversed(s11)))
    return str(total % 11 % 10)


def s10_check(d8):
    w = (8, 6, 4, 2, 3, 5, 9, 7)
    c = 11 - sum((ord(a) - 48) * b for a, b in zip(d8, w)) % 11
    return "5" if c == 11 else "0" if c == 10 else str(c)


def group4(s, sep=" "):
    return sep.join(s[i:i + 4] for i in range(0, len(s), 4))


# -------------------------------------------------------------- static pools

HOSTS = ["api.shop.example.com", "www.shop.example.com", "checkout.example-store.de",
         "api.example-market.fr", "shop.example.co.uk", "analytics.example.net",
         "collect.example-metrics.io", "erp.example-corp.com", "api.example-logistics.com",
         "graphql.example-shop.nl", "b2b.example-wholesale.es", "admin.example-retail.it",
         "events.example-app.com", "api.example-payments-gateway.com", "invoice.example.at"]
UAS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.130 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36",
    "okhttp/4.12.0", "python-requests/2.31.0", "curl/8.5.0", "axios/1.6.2",
    "Go-http-client/1.1", "Apache-HttpClient/4.5.14 (Java/17.0.9)",
    "ShopApp/5.12.3 (iPhone; iOS 17.2.1; Scale/3.00) Build/51203017",
    "ShopApp/5.11.0 (Android 13; Pixel 7 Pro) okhttp/4.11.0 build 4110000231",
]
LANGS = ["en-US,en;q=0.9", "de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7", "fr-FR,fr;q=0.9,en;q=0.8",
         "nl-NL,nl;q=0.9,en;q=0.8", "es-ES,es;q=0.9", "it-IT,it;q=0.9,en;q=0.6", "en-GB,en;q=0.9"]
FIRST = ["Anna", "Ben", "Chloe", "David", "Emma", "Felix", "Giulia", "Hugo", "Ines", "Jonas",
         "Karin", "Lars", "Marie", "Noah", "Olivia", "Pablo", "Quentin", "Rosa", "Sven", "Tara",
         "Lukas", "Sophie", "Mateo", "Lea", "James", "Mia", "Luca", "Zoe"]
LAST = ["Müller", "Schmidt", "Dubois", "Jansen", "García", "Rossi", "Smith", "Johnson",
        "de Vries", "Martin", "Fischer", "Weber", "Bernard", "Lopez", "Bianchi", "Brown",
        "Nowak", "Novak", "Andersson", "Hansen", "O'Brien", "Taylor", "Moreau", "Ricci"]
STREETS = ["Hauptstraße", "Bahnhofstr.", "Rue de la Paix", "Kerkstraat", "Calle Mayor",
           "Via Roma", "High Street", "Main St", "Market Street", "Lindenweg", "Oak Avenue",
           "Schillerstraße", "Avenue des Champs", "Prinsengracht", "Gran Vía", "Corso Italia"]
CITIES = [("Berlin", "DE", 5), ("München", "DE", 5), ("Paris", "FR", 5), ("Lyon", "FR", 5),
          ("Amsterdam", "NL", 0), ("Madrid", "ES", 5), ("Milano", "IT", 5), ("London", "GB", 0),
          ("Wien", "AT", 4), ("Zürich", "CH", 4), ("San Francisco", "US", 9), ("New York", "US", 9),
          ("Austin", "US", 9), ("Seattle", "US", 9), ("Brussels", "BE", 4), ("København", "DK", 4)]
PRODUCTS = ["Espresso Machine", "Running Shoes", "USB-C Cable 2m", "Wool Sweater", "LED Bulb E27 9W",
            "Noise Cancelling Headphones", "Yoga Mat", "Cast Iron Pan 28cm", "Desk Lamp",
            "4K Monitor 27\"", "Coffee Beans 1kg", "Backpack 30L", "Phone Case", "Water Bottle 750ml",
            "Mechanical Keyboard", "Garden Hose 25m", "Kids Bike 16\"", "Olive Oil 500ml",
            "Printer Paper A4 500", "HDMI Cable", "Smart Plug", "T-Shirt Organic", "Winter Jacket"]
CATEGORIES = ["electronics", "home-garden", "fashion", "sports", "grocery", "toys", "office", "beauty"]
CURRENCIES = ["EUR", "USD", "GBP", "CHF", "SEK", "PLN", "DKK"]
EVENTS = ["page_view", "product_view", "add_to_cart", "remove_from_cart", "begin_checkout",
          "add_shipping_info", "purchase", "search", "scroll", "click", "view_item_list",
          "session_start", "user_engagement", "video_progress", "form_submit"]
CARRIERS = ["UPS", "FedEx", "USPS", "DHL", "DPD", "GLS", "PostNL", "Royal Mail", "Colissimo", "Hermes"]
WORDS = ["lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "elit", "sed", "do",
         "eiusmod", "tempor", "incididunt", "ut", "labore", "et", "dolore", "magna", "aliqua",
         "delivery", "package", "order", "invoice", "please", "thanks", "back", "door", "gate",
         "leave", "with", "neighbour", "ring", "bell", "floor", "apartment", "code"]

# GS1 prefixes (first three digits of an EAN-13) with a rough retail weight.
GS1_RANGES = [
    (0, 19, 10), (20, 29, 3), (30, 39, 2), (60, 139, 8), (200, 299, 4),
    (300, 379, 7), (380, 389, 1), (400, 440, 14), (450, 459, 3), (460, 469, 1),
    (471, 489, 2), (490, 499, 3), (500, 509, 6), (520, 549, 3), (560, 599, 3),
    (600, 629, 2), (640, 649, 2), (690, 699, 5), (700, 709, 1), (729, 739, 2),
    (740, 790, 2), (800, 849, 6), (850, 899, 3), (900, 919, 3), (930, 949, 2),
    (955, 958, 1), (977, 977, 1), (978, 979, 3),
]

# IBAN layouts: country -> list of (kind, length) for the BBAN; n digits, a upper letters, c alnum.
IBAN_FORMATS = {
    "DE": [("n", 8), ("n", 10)], "GB": [("a", 4), ("n", 6), ("n", 8)],
    "FR": [("n", 5), ("n", 5), ("n", 11), ("n", 2)], "NL": [("a", 4), ("n", 10)],
    "ES": [("n", 4), ("n", 4), ("n", 2), ("n", 10)], "IT": [("a", 1), ("n", 5), ("n", 5), ("n", 12)],
    "BE": [("n", 12)], "AT": [("n", 5), ("n", 11)], "CH": [("n", 5), ("n", 12)],
    "PL": [("n", 8), ("n", 16)], "PT": [("n", 21)], "IE": [("a", 4), ("n", 6), ("n", 8)],
    "SE": [("n", 20)], "DK": [("n", 14)], "FI": [("n", 14)], "NO": [("n", 11)],
    "LU": [("n", 3), ("c", 13)], "CZ": [("n", 20)], "HU": [("n", 24)], "SK": [("n", 20)],
}
IBAN_WEIGHTS = {"DE": 10, "GB": 5, "FR": 6, "NL": 5, "ES": 5, "IT": 5, "BE": 3, "AT": 3,
                "CH": 2, "PL": 2, "PT": 1, "IE": 1, "SE": 1, "DK": 1, "FI": 1, "NO": 1,
                "LU": 1, "CZ": 1, "HU": 1, "SK": 1}
BICS = ["COBADEFFXXX", "DEUTDEFF", "BNPAFRPPXXX", "ABNANL2A", "INGBNL2A", "CAIXESBBXXX",
        "UNCRITMMXXX", "NWBKGB2L", "GEBABEBB", "RZBAATWW", "UBSWCHZH80A", "NDEAFIHH"]

UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
HEX = "0123456789abcdef"


class Gen:
    def __init__(self, seed, kind):
        self.r = random.Random(seed * 1009 + KINDS.index(kind))
        r = self.r
        # A fixed "now" per seed: late 2023 to late 2025, never the clock.
        self.now = 1700000000 + r.randrange(60 * 86400 * 10)
        self.gs1_cum = []
        acc = 0
        for lo, hi, w in GS1_RANGES:
            acc += w
            self.gs1_cum.append((acc, lo, hi))
        self.iban_countries = list(IBAN_WEIGHTS)
        self.iban_w = [IBAN_WEIGHTS[c] for c in self.iban_countries]
        self.hosts = HOSTS
        self.sessions = [self.new_session() for _ in range(40)]

    # ---------------------------------------------------------- primitives
    def digits(self, n):
        return "%0*d" % (n, self.r.randrange(10 ** n))

    def num(self, n):
        """An n-digit number without a leading zero."""
        return str(self.r.randrange(10 ** (n - 1), 10 ** n))

    def hexs(self, n):
        return "%0*x" % (n, self.r.getrandbits(4 * n))

    def alnum(self, n, alphabet=ALNUM):
        return "".join(self.r.choices(alphabet, k=n))

    def uuid(self):
        h = "%032x" % self.r.getrandbits(128)
        h = h[:12] + "4" + h[13:16] + "89ab"[self.r.randrange(4)] + h[17:]
        return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])

    def ts(self, back_days=30):
        return self.now - self.r.randrange(back_days * 86400)

    def ts_ms(self, back_days=30):
        return self.ts(back_days) * 1000 + self.r.randrange(1000)

    def iso(self, t=None, ms=False, z=True):
        t = self.ts() if t is None else t
        s = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t))
        if ms:
            s += ".%03d" % self.r.randrange(1000)
        return s + ("Z" if z else "+00:00")

    def date(self, back_days=400):
        return time.strftime("%Y-%m-%d", time.gmtime(self.ts(back_days)))

    def price(self):
        r = self.r
        x = r.random()
        if x < 0.45:
            return r.choice((0.99, 4.99, 9.99, 14.99, 19.99, 24.99, 29.99, 39.99, 49.99, 59.99,
                             79.99, 99.99, 129.0, 149.0, 199.0, 249.0, 299.0, 499.0, 1299.0))
        if x < 0.85:
            return round(r.uniform(0.5, 300), 2)
        return round(r.uniform(300, 4000), 2)

    def money(self, v):
        return "%.2f" % v

    def dbl(self, lo=0.0, hi=1.0):
        return self.r.uniform(lo, hi)   # printed with repr: 15-17 significant digits

    def coord(self):
        r = self.r
        lat, lng = r.uniform(35.0, 60.0), r.uniform(-123.0, 25.0)
        if r.random() < 0.5:
            return round(lat, r.choice((4, 5, 6, 7))), round(lng, r.choice((4, 5, 6, 7)))
        return lat, lng

    # ids ------------------------------------------------------------------
    def snowflake(self, kind=None):
        r = self.r
        t = self.ts_ms(365)
        kind = kind or r.choices(("twitter", "discord", "instagram", "sonyflake", "mastodon",
                                  "us16", "random63"), (12, 8, 8, 5, 5, 7, 5))[0]
        if kind == "twitter":       # 41-bit ms since 2010-11-04, 10-bit worker, 12-bit seq
            return ((t - 1288834974657) << 22) | r.getrandbits(22)
        if kind == "discord":
            return ((t - 1420070400000) << 22) | r.getrandbits(22)
        if kind == "instagram":     # ms since 2011-08-24 << 23, 13-bit shard, 10-bit seq
            return ((t - 1314220021721) << 23) | r.getrandbits(23)
        if kind == "sonyflake":     # 10 ms units since 2014-09-01 << 24
            return (((t - 1409529600000) // 10) << 24) | r.getrandbits(24)
        if kind == "mastodon":      # ms << 16
            return (t << 16) | r.getrandbits(16)
        if kind == "us16":          # epoch microseconds (16 digits)
            return t * 1000 + r.randrange(1000)
        return r.getrandbits(63)    # a random positive Java long

    def shop_id(self, what):
        r = self.r
        lo, hi = {"order": (4_000_000_000_000, 6_200_000_000_000),
                  "product": (6_500_000_000_000, 9_000_000_000_000),
                  "customer": (5_500_000_000_000, 8_500_000_000_000),
                  "variant": (39_000_000_000_000, 49_000_000_000_000),
                  "line_item": (11_000_000_000_000, 16_000_000_000_000),
                  "location": (60_000_000_000, 80_000_000_000)}[what]
        return r.randrange(lo, hi)

    def product_id(self):
        return int(self.num(self.r.randint(6, 12)))

    def id9(self):
        return self.num(9)

    def order_number(self):
        r = self.r
        x = r.random()
        if x < 0.3:
            return "#%d" % r.randrange(1001, 99999)
        if x < 0.6:
            return "ORD-%d-%06d" % (r.randrange(2021, 2026), r.randrange(1, 999999))
        if x < 0.8:
            return self.num(r.choice((8, 10, 11)))
        return "%03d-%07d-%07d" % (r.randrange(100, 999), r.randrange(10 ** 7), r.randrange(10 ** 7))  # marketplace style

    def invoice_number(self):
        r = self.r
        x = r.random()
        if x < 0.4:
            return "INV-%d-%06d" % (r.randrange(2021, 2026), r.randrange(1, 999999))
        if x < 0.7:
            return "%d%06d" % (r.randrange(2021, 2026), r.randrange(1, 999999))
        return "RE%d/%05d" % (r.randrange(21, 26), r.randrange(1, 99999))

    # codes -----------------------------------------------------------------
    def gtin13(self):
        r = self.r
        x = r.randrange(self.gs1_cum[-1][0])
        for acc, lo, hi in self.gs1_cum:
            if x < acc:
                break
        body = "%03d" % r.randint(lo, hi) + self.digits(9)
        return body + gs1_check(body)

    def upc12(self):
        body = str(self.r.choice((0, 0, 0, 1, 6, 7, 8))) + self.digits(10)
        return body + gs1_check(body)

    def gtin14(self):
        r = self.r
        base = self.gtin13()[:12] if r.random() < 0.6 else "0" + self.upc12()[:11]
        body = str(r.choice((0, 1, 1, 2, 3, 3, 4, 5, 6, 7, 8))) + base
        return body + gs1_check(body)

    def ean8(self):
        body = self.digits(7)
        return body + gs1_check(body)

    def isbn13(self):
        body = self.r.choice(("978", "978", "979")) + self.digits(9)
        return body + gs1_check(body)

    def isbn13_hyphen(self, code):
        r = self.r
        a = r.randint(1, 2)
        b = r.randint(2, 5)
        return "%s-%s-%s-%s-%s" % (code[:3], code[3:3 + a], code[3 + a:3 + a + b], code[3 + a + b:12], code[12])

    def iban(self, country=None):
        r = self.r
        c = country or r.choices(self.iban_countries, self.iban_w)[0]
        parts = []
        for kind, n in IBAN_FORMATS[c]:
            if kind == "n":
                parts.append(self.digits(n))
            elif kind == "a":
                parts.append(self.alnum(n, UPPER))
            else:
                parts.append(self.alnum(n))
        if c == "FR":   # RIB key
            bank, branch, acct = parts[0], parts[1], parts[2]
            key = 97 - (89 * int(bank) + 15 * int(branch) + 3 * int(acct)) % 97
            parts[3] = "%02d" % key
        elif c == "BE":
            b = parts[0][:10]
            k = int(b) % 97 or 97
            parts[0] = b + "%02d" % k
        bban = "".join(parts)
        return c + iban_check(c, bban) + bban

    def iban_print(self, iban=None, grouped=None):
        iban = iban or self.iban()
        if grouped is None:
            grouped = self.r.random() < 0.5
        return group4(iban) if grouped else iban

    def tracking(self):
        """(carrier, tracking number as printed)."""
        r = self.r
        x = r.random()
        grouped = r.random() < 0.35
        if x < 0.22:
            s = self.alnum(6) + r.choice(("01", "02", "03", "12", "13", "42")) + self.digits(7)
            t = "1Z" + s + ups_check(s)
            if r.random() < 0.25:
                t = "%s %s %s %s %s %s" % (t[:2], t[2:5], t[5:8], t[8:10], t[10:14], t[14:])
            return "UPS", t
        if x < 0.32:        # FedEx Express 12
            b = self.num(11)
            return "FedEx", (group4(b + fedex12_check(b)) if grouped else b + fedex12_check(b))
        if x < 0.42:        # FedEx Ground 15
            b = self.digits(14)
            t = b + gs1_check(b)
            return "FedEx", (group4(t) if grouped else t)
        if x < 0.50:        # FedEx Ground 96 / SmartPost 20-22
            b = r.choice(("96", "92", "61")) + self.digits(r.choice((17, 19)))
            t = b + gs1_check(b)
            return "FedEx", (group4(t) if grouped else t)
        if x < 0.68:        # USPS IMpb 22 (also 20 with 70/23 certified)
            if r.random() < 0.75:
                b = r.choice(("9400", "9205", "9208", "9300", "9361", "9405", "9407", "9270")) + \
                    r.choice(("1", "1", "5")) + self.digits(16)
            else:
                b = r.choice(("7017", "7018", "7019", "7020", "7021", "7022")) + self.digits(15)
            t = b + gs1_check(b)
            return "USPS", (group4(t) if grouped or r.random() < 0.3 else t)
        if x < 0.74:        # USPS / postal S10 international
            d = self.digits(8)
            return r.choice(("USPS", "Royal Mail", "La Poste")), \
                r.choice(("EC", "LZ", "RR", "CP", "LX")) + d + s10_check(d) + r.choice(("US", "GB", "FR", "DE"))
        if x < 0.82:        # DHL Express 10 / Paket 12, 20
            n = r.choice((10, 10, 12, 20))
            t = self.num(n) if n != 20 else "00" + self.digits(17) + "0"
            if n == 20:
                t = t[:19] + gs1_check(t[:19])
            return "DHL", (group4(t) if grouped and n > 10 else t)
        if x < 0.90:        # SSCC-18, often with the (00) AI
            b = str(r.randrange(10)) + self.num(7) + self.digits(9)
            t = b + gs1_check(b)
            y = r.random()
            if y < 0.3:
                return "SSCC", "(00)" + t
            if y < 0.5:
                return "SSCC", "00" + t
            return "SSCC", t
        if x < 0.95:        # DPD 14, GLS 11
            if r.random() < 0.5:
                return "DPD", (group4(self.digits(14)) if grouped else self.digits(14))
            return "GLS", self.num(11)
        return r.choice(("PostNL", "Amazon")), r.choice(("3S", "TBA")) + self.alnum(10, "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ")

    def phone(self, country=None):
        r = self.r
        c = country or r.choice(("US", "DE", "GB", "FR", "NL", "ES", "IT", "US", "CH", "AT"))
        e164 = r.random() < 0.5
        if c == "US":
            a, b, d = r.randrange(201, 990), r.randrange(200, 999), r.randrange(10000)
            return r.choice(("+1%d%d%04d" % (a, b, d), "(%d) %d-%04d" % (a, b, d), "%d-%d-%04d" % (a, b, d),
                             "+1 %d %d %04d" % (a, b, d), "%d.%d.%04d" % (a, b, d)))
        if c == "DE":
            ac = r.choice(("30", "40", "89", "69", "221", "711", "151", "160", "171", "176"))
            sub = self.num(r.choice((7, 8)))
            return "+49%s%s" % (ac, sub) if e164 else r.choice(("+49 %s %s" % (ac, sub), "0%s %s" % (ac, sub), "0%s/%s" % (ac, sub)))
        if c == "GB":
            sub = "%04d %04d" % (r.randrange(10000), r.randrange(10000))
            return "+4420%s" % sub.replace(" ", "") if e164 else r.choice(("+44 20 " + sub, "020 " + sub, "+44 7%s %s" % (self.digits(3), self.digits(6))))
        if c == "FR":
            g = [self.digits(2) for _ in range(4)]
            lead = r.choice("1234567")
            return "+33%s%s" % (lead, "".join(g)) if e164 else r.choice(("+33 %s %s" % (lead, " ".join(g)), "0%s %s" % (lead, " ".join(g)), "0%s.%s" % (lead, ".".join(g))))
        if c == "NL":
            return "+3120%s" % self.digits(7) if e164 else "+31 20 %s %s" % (self.digits(3), self.digits(4))
        if c == "ES":
            return "+34%s%s" % (r.choice("679"), self.digits(8)) if e164 else "+34 %s%s %s %s" % (r.choice("679"), self.digits(2), self.digits(3), self.digits(3))
        if c == "IT":
            return "+39%s" % self.num(10) if e164 else "+39 0%s %s" % (self.digits(1), self.digits(7))
        if c == "CH":
            return "+4144%s" % self.digits(7) if e164 else "+41 44 %s %s %s" % (self.digits(3), self.digits(2), self.digits(2))
        return "+431%s" % self.digits(7) if e164 else "+43 1 %s" % self.digits(7)

    def zipcode(self, country):
        r = self.r
        if country == "US":
            z = "%05d" % r.randrange(1001, 99950)
            return z + "-%04d" % r.randrange(1, 9999) if r.random() < 0.4 else z
        if country == "GB":
            return "%s%d %d%s" % (r.choice(("SW", "EC", "N", "W", "SE", "M", "B")), r.randrange(1, 20), r.randrange(1, 9), self.alnum(2, UPPER))
        if country == "NL":
            return "%04d %s" % (r.randrange(1000, 9999), self.alnum(2, UPPER))
        if country in ("AT", "CH", "BE", "DK"):
            return "%04d" % r.randrange(1000, 9999)
        return "%05d" % r.randrange(1000, 99999)

    def address(self):
        r = self.r
        city, country, _ = r.choice(CITIES)
        return {"first_name": r.choice(FIRST), "last_name": r.choice(LAST),
                "address1": "%s %d" % (r.choice(STREETS), r.randrange(1, 250)),
                "address2": r.choice(("", "", "Apt %d" % r.randrange(1, 40), "2. OG", "Suite %d" % r.randrange(100, 999))),
                "city": city, "zip": self.zipcode(country), "country_code": country,
                "phone": self.phone(country if country in ("US", "DE", "GB", "FR", "NL", "ES", "IT", "CH", "AT") else None)}

    def words(self, n):
        return " ".join(self.r.choices(WORDS, k=n))

    # ------------------------------------------------------------- headers
    def new_session(self):
        r = self.r
        t = self.ts(60)
        c = ["session_id=" + self.hexs(32)]
        if r.random() < 0.8:
            c.append("_ga=GA1.2.%d.%d" % (r.randrange(10 ** 8, 2 * 10 ** 9), t - r.randrange(10 ** 7)))
            c.append("_ga_%s=GS1.1.%d.%d.1.%d.%d.0.0" % (self.alnum(10), t, r.randrange(1, 90), t + r.randrange(900), r.randrange(60)))
        if r.random() < 0.5:
            c.append("_gid=GA1.2.%d.%d" % (r.randrange(10 ** 8, 2 * 10 ** 9), t))
        if r.random() < 0.5:
            c.append("_fbp=fb.1.%d.%d" % (t * 1000 + r.randrange(1000), r.randrange(10 ** 8, 2 * 10 ** 9)))
        if r.random() < 0.4:
            c.append("uid=%d" % self.snowflake())
        if r.random() < 0.2:
            c.append("visitor_id=%s" % self.num(r.choice((10, 11))))
        if r.random() < 0.1:
            c.append("device_id=%d" % r.getrandbits(63))      # a random Java long
        if r.random() < 0.2:
            c.append("_ym_uid=%d%s" % (t - r.randrange(10 ** 7), self.digits(9)))   # epoch s + 9 random digits
        if r.random() < 0.3:
            c.append("cart=%s" % self.num(r.choice((10, 11))))
        if r.random() < 0.3:
            c.append("ajs_anonymous_id=%%22%s%%22" % self.uuid())
        if r.random() < 0.2:
            c.append("AMCV_%s%%40AdobeOrg=MCMID%%7C%s%%7CMCAAMLH-%d%%7C6%%7CMCOPTOUT-%d%%7CvVersion%%7C5.5.0" % (
                self.hexs(24).upper(), self.digits(38), t, t + 7200))
        if r.random() < 0.2:
            c.append("_uetvid=%s" % self.hexs(32))
        if r.random() < 0.2:
            c.append("JSESSIONID=%s" % self.hexs(32).upper())
        if r.random() < 0.2:
            c.append("c_user=1000%s" % self.digits(11))
        if r.random() < 0.2:
            c.append("OptanonConsent=isGpcEnabled=0&datestamp=%s&version=202310.2.0&consentId=%s" % (
                self.iso(t).replace(":", "%3A"), self.uuid()))
        return {"host": r.choice(self.hosts), "ua": r.choice(UAS), "lang": r.choice(LANGS),
                "cookie": "; ".join(c), "auth": "Bearer " + self.hexs(40) if r.random() < 0.3 else None}

    def request(self, method, path, ctype=None, body=None, chunked=False, referer=True):
        r = self.r
        s = r.choice(self.sessions)
        if r.random() < 0.05:   # a client's cookies come back in ~20 requests
            self.sessions[r.randrange(len(self.sessions))] = self.new_session()
        h = ["%s %s HTTP/1.1" % (method, path), "Host: " + s["host"], "User-Agent: " + s["ua"]]
        h.append("Accept: " + ("application/json, text/plain, */*" if ctype != "text/html" else "text/html,application/xhtml+xml,*/*;q=0.8"))
        h.append("Accept-Language: " + s["lang"])
        h.append("Cookie: " + s["cookie"])
        x = r.random()
        if x < 0.5:
            h.append("X-Request-Id: " + self.uuid())
        else:
            h.append("X-Request-Id: %d" % self.snowflake())
        y = r.random()
        if y < 0.15:
            h.append("x-datadog-trace-id: %d" % r.getrandbits(64))
            h.append("x-datadog-parent-id: %d" % r.getrandbits(64))
            h.append("x-datadog-sampling-priority: 1")
        elif y < 0.35:
            h.append("traceparent: 00-%s-%s-01" % (self.hexs(32), self.hexs(16)))
        elif y < 0.45:
            h.append("X-Amzn-Trace-Id: Root=1-%x-%s" % (self.ts(), self.hexs(24)))
        if s["auth"]:
            h.append("Authorization: " + s["auth"])
        if referer and r.random() < 0.4:
            h.append("Referer: https://%s/products/%d?variant=%d" % (s["host"], self.product_id(), self.shop_id("variant")))
        if r.random() < 0.2:
            h.append("X-Client-Version: %d.%d.%d (%d)" % (r.randrange(1, 9), r.randrange(30), r.randrange(20), r.randrange(10 ** 7, 10 ** 9)))
        h.append("Accept-Encoding: gzip, deflate, br")
        out = []
        if body is None:
            h.append("Connection: keep-alive")
            return ("\r\n".join(h) + "\r\n\r\n").encode()
        b = body.encode() if isinstance(body, str) else body
        h.append("Content-Type: " + ctype)
        if chunked:
            h.append("Transfer-Encoding: chunked")
            out.append(("\r\n".join(h) + "\r\n\r\n").encode())
            i = 0
            while i < len(b):
                n = r.randrange(200, 8192)
                piece = b[i:i + n]
                out.append(b"%x\r\n" % len(piece) + piece + b"\r\n")
                i += n
            out.append(b"0\r\n\r\n")
            return b"".join(out)
        h.append("Content-Length: %d" % len(b))
        return ("\r\n".join(h) + "\r\n\r\n").encode() + b

    # --------------------------------------------------------------- bodies
    def line_item(self):
        r = self.r
        p = self.price()
        q = r.choices((1, 2, 3, 4, 5, 6, 10, 12, 24), (50, 20, 8, 5, 3, 3, 2, 2, 1))[0]
        it = {"id": self.shop_id("line_item"), "product_id": self.product_id(),
              "variant_id": self.shop_id("variant"), "sku": "%s-%s-%s" % (self.alnum(3, UPPER), self.num(4), r.choice(("S", "M", "L", "XL", "BLK", "WHT", "42"))),
              "gtin": self.gtin13(), "title": r.choice(PRODUCTS), "quantity": q,
              "price": p if r.random() < 0.6 else self.money(p), "total": p * q}
        if r.random() < 0.3:
            it["upc"] = self.upc12()
        if r.random() < 0.2:
            it["gtin14"] = self.gtin14()
        if r.random() < 0.3:
            it["discount"] = round(p * q * r.choice((0.05, 0.1, 0.15, 0.2)), 2)
        if r.random() < 0.2:
            it["weight_kg"] = self.dbl(0.05, 20)
        return it

    def json_order(self):
        r = self.r
        items = [self.line_item() for _ in range(r.choices((1, 2, 3, 4, 6, 10), (30, 25, 15, 12, 10, 8))[0])]
        sub = sum(i["total"] for i in items)
        tax = sub * r.choice((0.19, 0.2, 0.21, 0.07, 0.0825, 0.1))
        ship = r.choice((0, 0, 4.95, 5.99, 9.9, 14.5))
        t = self.ts(90)
        o = {"id": self.shop_id("order"), "order_number": self.order_number(),
             "customer_id": int(self.id9()) if r.random() < 0.5 else self.shop_id("customer"),
             "account_id": self.id9(), "email": "%s.%s%d@example.com" % (r.choice(FIRST).lower(), self.alnum(4).lower(), r.randrange(100)),
             "created_at": self.iso(t), "updated_at": self.iso(t + r.randrange(86400), ms=True),
             "processed_ts": t, "updated_ms": t * 1000 + r.randrange(10 ** 6),
             "currency": r.choice(CURRENCIES), "line_items": items,
             "subtotal_price": sub, "total_tax": tax, "shipping": ship, "total_price": sub + tax + ship,
             "total_price_str": self.money(sub + tax + ship),
             "shipping_address": self.address(), "billing_address": self.address(),
             "browser_ip": "%d.%d.%d.%d" % (r.randrange(1, 224), r.randrange(256), r.randrange(256), r.randrange(1, 255)),
             "location": list(self.coord()), "invoice_number": self.invoice_number(),
             "payment_gateway": r.choice(("paypal", "sepa_debit", "klarna", "ideal", "bank_transfer", "gift_card", "apple_pay")),
             "source_identifier": "%d-%d" % (self.snowflake("twitter"), r.randrange(100))}
        if o["payment_gateway"] in ("sepa_debit", "bank_transfer"):
            o["debtor"] = {"iban": self.iban_print(), "bic": r.choice(BICS), "mandate_id": "MND-%s" % self.num(10),
                           "mandate_date": self.date()}
        if r.random() < 0.5:
            carrier, tn = self.tracking()
            o["fulfillments"] = [{"id": self.shop_id("order"), "tracking_company": carrier, "tracking_number": tn,
                                  "shipment_status": r.choice(("in_transit", "delivered", "label_printed")),
                                  "estimated_delivery": self.date(10)}]
        if r.random() < 0.3:
            o["note_attributes"] = [{"name": "gift_message", "value": self.words(r.randrange(3, 12))},
                                    {"name": "delivery_window", "value": "%02d:00-%02d:00" % (h := r.randrange(8, 18), h + 2)}]
        if r.random() < 0.3:
            o["risk"] = {"score": self.dbl(), "recommendation": "accept", "checks": [self.dbl() for _ in range(r.randrange(2, 6))]}
        return o

    def json_cart(self):
        r = self.r
        items = [{"key": "%d:%s" % (self.shop_id("variant"), self.hexs(32)), "id": self.shop_id("variant"),
                  "product_id": self.product_id(), "quantity": r.randrange(1, 5), "price": int(self.price() * 100),
                  "original_price": int(self.price() * 100), "gtin": self.gtin13(), "url": "/products/%d" % self.product_id()}
                 for _ in range(r.randrange(1, 7))]
        return {"token": self.hexs(32) + "?key=" + self.hexs(32), "note": None, "item_count": len(items), "items": items,
                "total_price": sum(i["price"] * i["quantity"] for i in items), "currency": r.choice(CURRENCIES),
                "discount_codes": [self.alnum(8, UPPER)] if r.random() < 0.2 else [],
                "attributes": {"ref": str(self.snowflake()), "ab_bucket": r.randrange(100)},
                "updated_at": self.ts_ms()}

    def json_catalog(self):
        r = self.r
        prods = []
        for _ in range(r.randrange(1, 8)):
            pid = self.shop_id("product") if r.random() < 0.5 else self.product_id()
            variants = []
            for _ in range(r.randrange(1, 6)):
                variants.append({"id": self.shop_id("variant"), "sku": "%s%s" % (self.alnum(2, UPPER), self.num(6)),
                                 "barcode": r.choice((self.gtin13(), self.upc12(), self.gtin14(), self.ean8())),
                                 "price": self.money(self.price()), "compare_at_price": self.price(),
                                 "inventory_quantity": r.randrange(-3, 500), "inventory_item_id": self.shop_id("variant"),
                                 "weight": self.dbl(0.01, 30), "position": r.randrange(1, 10)})
            p = {"id": pid, "title": r.choice(PRODUCTS), "vendor": r.choice(LAST) + " GmbH",
                 "category_id": r.randrange(100, 99999), "category": r.choice(CATEGORIES),
                 "created_at": self.iso(self.ts(800)), "published_ts": self.ts(800),
                 "rating": self.dbl(1, 5), "review_count": r.randrange(0, 5000), "variants": variants,
                 "dimensions_cm": [round(self.dbl(1, 120), r.choice((1, 2, 15))) for _ in range(3)],
                 "price_history": [[self.ts_ms(365), self.price()] for _ in range(r.randrange(0, 8))],
                 "related": [self.product_id() for _ in range(r.randrange(0, 10))]}
            if r.random() < 0.3:
                p["isbn"] = self.isbn13()
            prods.append(p)
        return {"products": prods, "page": r.randrange(1, 50), "per_page": r.choice((24, 48, 96)),
                "total": r.randrange(100, 200000), "generated_ms": self.ts_ms(1)}

    def json_events(self):
        r = self.r
        ev = []
        cid = "%d.%d" % (r.randrange(10 ** 8, 2 * 10 ** 9), self.ts(400))
        sid = self.ts(1)
        user = self.id9() if r.random() < 0.5 else None
        t = self.ts_ms(1)
        for _ in range(r.randrange(3, 40)):
            t += r.randrange(50, 30000)
            e = {"event": r.choice(EVENTS), "ts": t, "client_id": cid, "session_id": sid,
                 "event_id": self.uuid() if r.random() < 0.5 else str(self.snowflake()),
                 "page": {"path": "/products/%d" % self.product_id(), "referrer_id": self.num(r.choice((10, 11)))},
                 "viewport": [r.choice((360, 390, 414, 768, 1280, 1366, 1440, 1920)), r.choice((640, 800, 844, 900, 1080))],
                 "engagement_ms": r.randrange(10, 600000), "scroll_depth": self.dbl(),
                 "perf": {"ttfb": self.dbl(20, 900), "fcp": self.dbl(100, 4000), "lcp": self.dbl(200, 9000), "cls": self.dbl(0, 0.5)}}
            if user:
                e["user_id"] = user
            if e["event"] in ("product_view", "add_to_cart", "purchase", "view_item_list"):
                e["items"] = [{"item_id": str(self.product_id()), "gtin": self.gtin13(), "price": self.price(),
                               "quantity": r.randrange(1, 4), "index": i} for i in range(r.randrange(1, 5))]
            if e["event"] == "purchase":
                e["transaction_id"] = self.order_number()
                e["value"] = sum(i["price"] * i["quantity"] for i in e["items"])
            if e["event"] == "search":
                e["search_term"] = r.choice((self.gtin13(), self.num(r.choice((6, 8))), r.choice(PRODUCTS).lower()))
            if r.random() < 0.2:
                e["geo"] = {"lat": self.coord()[0], "lon": self.coord()[1], "accuracy_m": self.dbl(3, 2000)}
            ev.append(e)
        return {"api_version": "2.3", "batch_id": str(self.snowflake()), "sent_at": self.ts_ms(1), "events": ev}

    def json_invoice(self):
        r = self.r
        rows = []
        for i in range(r.randrange(1, 15)):
            q = r.randrange(1, 50)
            p = self.price()
            rows.append({"pos": i + 1, "article_no": self.num(r.choice((6, 7, 8))), "ean": self.gtin13(),
                         "description": r.choice(PRODUCTS), "qty": q, "unit_price": p, "net": round(p * q, 2),
                         "vat_rate": r.choice((19, 7, 20, 21, 10))})
        net = sum(x["net"] for x in rows)
        return {"invoice_number": self.invoice_number(), "invoice_date": self.date(), "due_date": self.date(),
                "customer_no": self.num(r.choice((6, 7, 9, 10))), "vat_id": "DE%s" % self.num(9),
                "order_ref": self.order_number(), "rows": rows, "net_total": net, "vat_total": net * 0.19,
                "gross_total": net * 1.19, "currency": "EUR",
                "payee": {"name": r.choice(LAST) + " AG", "iban": self.iban_print(), "bic": r.choice(BICS)},
                "payment_reference": "RF%s%s" % (self.digits(2), self.num(r.choice((12, 15, 18)))),
                "epc_qr": "BCD\n002\n1\nSCT\n%s\n%s\n%s\nEUR%.2f" % (r.choice(BICS), r.choice(LAST), self.iban(), net * 1.19)}

    def json_shipment(self):
        r = self.r
        pk = []
        for _ in range(r.randrange(1, 5)):
            carrier, tn = self.tracking()
            pk.append({"carrier": carrier, "tracking_number": tn, "sscc": self.tracking_sscc(),
                       "weight_g": r.randrange(50, 30000), "dims_mm": [r.randrange(50, 1200) for _ in range(3)],
                       "events": [{"ts": self.ts(20), "code": r.choice(("PU", "IT", "OD", "DL", "AR")),
                                   "location": {"zip": self.zipcode(r.choice(("US", "DE", "FR"))),
                                                "lat": self.coord()[0], "lng": self.coord()[1]}}
                                  for _ in range(r.randrange(1, 6))]})
        return {"shipment_id": self.snowflake(), "order_id": self.shop_id("order"), "warehouse_id": r.randrange(1, 40),
                "ship_to": self.address(), "packages": pk, "label_created_ms": self.ts_ms(10),
                "customs": {"hs_code": "%04d.%02d.%02d" % (r.randrange(100, 9999), r.randrange(100), r.randrange(100)),
                            "value": self.price(), "eori": "DE%s" % self.num(15)} if r.random() < 0.3 else None}

    def tracking_sscc(self):
        b = str(self.r.randrange(10)) + self.num(7) + self.digits(9)
        return b + gs1_check(b)

    def json_customer(self):
        r = self.r
        return {"customer_id": self.id9(), "account_id": int(self.id9()), "external_id": self.num(r.choice((10, 11))),
                "loyalty_no": self.num(r.choice((10, 12))), "first_name": r.choice(FIRST), "last_name": r.choice(LAST),
                "phones": [self.phone() for _ in range(r.randrange(1, 3))], "addresses": [self.address() for _ in range(r.randrange(1, 3))],
                "birth_year": r.randrange(1940, 2006), "created_at": self.iso(self.ts(2000)),
                "last_login_ms": self.ts_ms(10), "orders_count": r.randrange(0, 200), "total_spent": self.dbl(0, 20000),
                "tags": ["vip"] if r.random() < 0.1 else [], "refund_iban": self.iban_print() if r.random() < 0.3 else None,
                "device_ids": [self.hexs(16) for _ in range(r.randrange(0, 3))]}

    def json_graphql(self):
        r = self.r
        q = r.choice((("ProductByHandle", "query ProductByHandle($id: ID!, $first: Int) { product(id: $id) { id title variants(first: $first) { edges { node { id sku barcode price { amount currencyCode } } } } } }",
                       {"id": "gid://shopify/Product/%d" % self.shop_id("product"), "first": r.choice((10, 50, 250))}),
                      ("CartLinesAdd", "mutation CartLinesAdd($cartId: ID!, $lines: [CartLineInput!]!) { cartLinesAdd(cartId: $cartId, lines: $lines) { cart { id totalQuantity } userErrors { field message } } }",
                       {"cartId": "gid://shopify/Cart/%s" % self.hexs(32), "lines": [{"merchandiseId": "gid://shopify/ProductVariant/%d" % self.shop_id("variant"), "quantity": r.randrange(1, 4)} for _ in range(r.randrange(1, 4))]}),
                      ("Orders", "query Orders($after: String, $since: DateTime) { orders(first: 50, after: $after, query: $since) { edges { cursor node { id name totalPriceSet { shopMoney { amount } } } } } }",
                       {"after": self.hexs(24), "since": self.iso()})))
        return {"operationName": q[0], "query": q[1], "variables": q[2], "extensions": {"persistedQuery": {"version": 1, "sha256Hash": self.hexs(64)}}}

    def json_body(self):
        r = self.r
        kind = r.choices(("order", "cart", "catalog", "events", "invoice", "shipment", "customer", "graphql"),
                         (20, 10, 15, 20, 10, 10, 8, 7))[0]
        obj = getattr(self, "json_" + kind)()
        paths = {"order": ("POST", "/admin/api/2024-01/orders.json"), "cart": ("POST", "/cart/update.js"),
                 "catalog": ("PUT", "/api/v2/catalog/products/batch"), "events": ("POST", "/v1/batch"),
                 "invoice": ("POST", "/api/invoices"), "shipment": ("POST", "/v2/shipments"),
                 "customer": ("PUT", "/api/v1/customers/%d" % r.randrange(10 ** 8, 10 ** 9)), "graphql": ("POST", "/api/2024-01/graphql.json")}
        m, p = paths[kind]
        if kind == "order" and r.random() < 0.5:
            m, p = "PUT", "/admin/api/2024-01/orders/%d.json" % obj["id"]
        if r.random() < 0.25:
            text = json.dumps(obj, indent=2, ensure_ascii=False)
        elif r.random() < 0.5:
            text = json.dumps(obj, separators=(",", ":"), ensure_ascii=r.random() < 0.3)
        else:
            text = json.dumps(obj, ensure_ascii=False)
        return m, p, "application/json" + ("; charset=utf-8" if r.random() < 0.5 else ""), text

    # forms -------------------------------------------------------------------
    def form_body(self):
        r = self.r
        kind = r.choice(("checkout", "address", "search", "contact", "sepa"))
        a = self.address()
        if kind == "checkout":
            f = [("checkout[email]", "%s@example.com" % r.choice(FIRST).lower()),
                 ("checkout[shipping_address][first_name]", a["first_name"]), ("checkout[shipping_address][last_name]", a["last_name"]),
                 ("checkout[shipping_address][address1]", a["address1"]), ("checkout[shipping_address][zip]", a["zip"]),
                 ("checkout[shipping_address][city]", a["city"]), ("checkout[shipping_address][phone]", a["phone"]),
                 ("checkout[shipping_rate][id]", "shopify-Standard-%s" % self.money(self.price())),
                 ("checkout[total_price]", str(int(self.price() * 100))), ("checkout[client_details][browser_width]", str(r.choice((1280, 1920, 390)))),
                 ("checkout[client_details][browser_height]", str(r.choice((720, 1080, 844)))),
                 ("checkout[client_details][javascript_enabled]", "1"), ("checkout[remember_me]", "0"),
                 ("checkout[buyer_accepts_marketing]", "0"), ("authenticity_token", self.hexs(43)),
                 ("step", "payment_method"), ("previous_step", "shipping_method"),
                 ("checkout[attributes][order_ref]", self.order_number()), ("checkout[reduction_code]", ""),
                 ("s", "%d" % self.snowflake()), ("timestamp", str(self.ts_ms()))]
        elif kind == "address":
            f = [("customer_id", self.id9()), ("account_id", self.id9()), ("first_name", a["first_name"]), ("last_name", a["last_name"]),
                 ("street", a["address1"]), ("address2", a["address2"]), ("zip", a["zip"]), ("city", a["city"]),
                 ("country", a["country_code"]), ("phone", a["phone"]), ("phone2", self.phone()),
                 ("delivery_note", "%s %d" % (self.words(r.randrange(2, 9)), r.randrange(1, 9999))), ("lat", repr(self.coord()[0])),
                 ("lng", repr(self.coord()[1])), ("packstation", self.num(3) if r.random() < 0.2 else ""),
                 ("postnummer", self.num(r.choice((6, 7, 8, 9, 10))) if r.random() < 0.3 else ""),
                 ("zip9", "%05d%04d" % (r.randrange(1001, 99950), r.randrange(1, 9999)) if a["country_code"] == "US" else "")]
        elif kind == "search":
            f = [("q", r.choice((self.gtin13(), self.num(r.choice((6, 8, 10))), r.choice(PRODUCTS) + " " + str(r.randrange(2, 200)), self.upc12()))),
                 ("category", str(r.randrange(100, 99999))), ("price_min", str(r.randrange(0, 100))), ("price_max", self.money(self.price() * 3)),
                 ("page", str(r.randrange(1, 30))), ("sort", r.choice(("price_asc", "relevance", "newest"))),
                 ("filter[size][]", r.choice(("38", "40", "42", "M", "L"))), ("filter[color][]", r.choice(("black", "navy", "red"))),
                 ("store_ids", " ".join(str(r.randrange(1000, 9999)) for _ in range(r.randrange(1, 5)))),
                 ("_", str(self.ts_ms()))]
        elif kind == "contact":
            f = [("name", "%s %s" % (a["first_name"], a["last_name"])), ("email", "%s@example.org" % a["last_name"].lower().replace(" ", "")),
                 ("order_number", self.order_number()), ("invoice", self.invoice_number()), ("phone", a["phone"]),
                 ("message", "Hello, my order %s placed on %s (tracking %s) arrived damaged. Item %s, EAN %s, qty %d, paid %s %s. Customer no. %s. Please call %s between %d and %d." % (
                     self.order_number(), self.date(30), self.tracking()[1], self.num(8), self.gtin13(), r.randrange(1, 5),
                     self.money(self.price()), r.choice(CURRENCIES), self.id9(), self.phone(), r.randrange(8, 12), r.randrange(14, 19))),
                 ("g-recaptcha-response", self.alnum(r.randrange(300, 500), ALNUM + "abcdefghijklmnopqrstuvwxyz_-"))]
        else:
            f = [("account_holder", "%s %s" % (a["first_name"], a["last_name"])), ("iban", self.iban_print()), ("bic", r.choice(BICS)),
                 ("mandate_reference", "MD%s" % self.num(12)), ("amount", self.money(self.price())), ("customer_id", self.id9()),
                 ("execution_date", self.date(5)), ("remittance", "Invoice %s %s" % (self.invoice_number(), self.order_number()))]
        body = urlencode(f)   # spaces as '+'
        path = {"checkout": "/%d/checkouts/%s" % (r.randrange(10 ** 7, 10 ** 8), self.hexs(32)), "address": "/account/addresses",
                "search": "/search", "contact": "/contact#contact_form", "sepa": "/account/payment/sepa"}[kind].split("#")[0]
        return "POST", path, "application/x-www-form-urlencoded" + ("; charset=UTF-8" if r.random() < 0.5 else ""), body

    def get_path(self):
        r = self.r
        x = r.random()
        if x < 0.25:
            q = [("v", "2"), ("tid", "G-%s" % self.alnum(10)), ("gtm", "45je3%s" % self.alnum(4)), ("_p", str(self.ts_ms())),
                 ("cid", "%d.%d" % (r.randrange(10 ** 8, 2 * 10 ** 9), self.ts(400))), ("ul", "en-us"), ("sr", "1920x1080"),
                 ("_s", str(r.randrange(1, 30))), ("sid", str(self.ts(1))), ("sct", str(r.randrange(1, 80))), ("seg", "1"),
                 ("dl", "https://%s/products/%d" % (r.choice(HOSTS), self.product_id())), ("en", r.choice(EVENTS)),
                 ("_et", str(r.randrange(10, 90000))), ("epn.value", self.money(self.price())), ("pr1", "id%d~nm%s~pr%s~qt%d" % (
                     self.product_id(), r.choice(PRODUCTS), self.money(self.price()), r.randrange(1, 4)))]
            return "/g/collect?" + urlencode(q)
        if x < 0.45:
            q = [("q", r.choice((self.gtin13(), r.choice(PRODUCTS), str(self.product_id())))), ("page", str(r.randrange(1, 20))),
                 ("per_page", "48"), ("min_price", str(r.randrange(0, 50))), ("max_price", self.money(self.price())),
                 ("_", str(self.ts_ms()))]
            return "/search?" + urlencode(q)
        if x < 0.6:
            return "/api/v2/orders/%d?fields=id,line_items,total_price&since_id=%d" % (self.shop_id("order"), self.shop_id("order"))
        if x < 0.75:
            c, t = self.tracking()
            return "/track?carrier=%s&number=%s&lang=en&ts=%d" % (quote(c), quote(t), self.ts())
        if x < 0.85:
            return "/products/%d.json?variant=%d&currency=%s" % (self.shop_id("product"), self.shop_id("variant"), r.choice(CURRENCIES))
        if x < 0.93:
            return "/tr?id=%d&ev=PageView&dl=%s&rl=&if=false&ts=%d&sw=1920&sh=1080&v=2.9.%d&r=stable&o=4126&fbp=fb.1.%d.%d&it=%d&coo=false" % (
                r.randrange(10 ** 14, 10 ** 16), "https%3A%2F%2Fwww.shop.example.com%2F", self.ts_ms(), r.randrange(100, 200),
                self.ts_ms(), r.randrange(10 ** 8, 2 * 10 ** 9), self.ts_ms())
        return "/api/v1/users/%s/orders?page=%d&created_at_min=%s" % (self.id9(), r.randrange(1, 9), self.date(60))

    # html --------------------------------------------------------------------
    def html_body(self):
        r = self.r
        fr = r.random() < 0.3
        rows = []
        tot = 0.0
        for i in range(r.randrange(2, 25)):
            q = r.randrange(1, 20)
            p = self.price()
            tot += p * q
            price = ("%s&nbsp;€" % ("%.2f" % p).replace(".", ",")) if fr else self.money(p)
            rows.append("<tr class=\"line\"><td>%d</td><td>%s</td><td>%s</td><td>%s</td><td class=\"num\">%d</td>"
                        "<td class=\"num\">%s</td><td>%04d</td></tr>" % (
                            i + 1, self.num(r.choice((4, 6, 8))), r.choice(PRODUCTS), self.gtin13(), q, price, r.randrange(10000)))
        if r.random() < 0.5:
            ttl = "%s\u202f%03d,%02d\u00a0€" % (int(tot) // 1000, int(tot) % 1000, r.randrange(100)) if tot >= 1000 and fr else self.money(tot)
        else:
            ttl = self.money(tot)
        inv = self.invoice_number()
        html = ("<div class=\"invoice\" data-invoice-id=\"%d\" data-ts=\"%d\">\n<h2>Invoice %s</h2>\n"
                "<p>Order %s &middot; %s &middot; Customer no. %s</p>\n"
                "<table class=\"items\">\n<thead><tr><th>Pos</th><th>Art. no.</th><th>Item</th><th>EAN</th><th>Qty</th><th>Price</th><th>Bin</th></tr></thead>\n"
                "<tbody>\n%s\n</tbody>\n<tfoot><tr><td colspan=\"5\">Total</td><td>%s</td><td></td></tr></tfoot>\n</table>\n"
                "<p>Please transfer to IBAN %s (BIC %s), reference %s.</p>\n"
                "<p>Shipped with %s, tracking <a href=\"/track/%s\">%s</a>. Questions? Call %s.</p>\n</div>\n") % (
            self.snowflake(), self.ts(), inv, self.order_number(), self.date(), self.id9(), "\n".join(rows), ttl,
            group4(self.iban()), r.choice(BICS), inv, *self._trk2(), self.phone())
        return r.choice(("POST", "PUT")), "/admin/templates/%d/preview" % r.randrange(1000, 99999), "text/html; charset=utf-8", html

    def _trk2(self):
        c, t = self.tracking()
        return c, t.replace(" ", ""), t

    # plain text / CSV exports ------------------------------------------------
    def csv_orders(self, n=None):
        r = self.r
        n = n or r.randrange(20, 200)
        sep = r.choice((",", ",", ";", "\t"))
        out = [sep.join(("order_id", "sku", "gtin", "qty", "price", "created_at", "customer_id", "zip"))]
        for _ in range(n):
            out.append(sep.join((str(self.shop_id("order")) if r.random() < 0.5 else self.num(8), "%s-%s" % (self.alnum(3, UPPER), self.num(5)),
                                 self.gtin13(), str(r.randrange(1, 12)), self.money(self.price()),
                                 self.iso(self.ts(365)) if r.random() < 0.5 else str(self.ts(365)), self.id9(),
                                 self.zipcode(r.choice(("US", "DE", "FR", "NL"))))))
        return "\n".join(out) + "\n"

    def table4_text(self):
        r = self.r
        k = r.choices(("random", "timetable", "postcodes", "years", "codes", "csv"), (40, 15, 12, 5, 18, 10))[0]
        out = []
        if k == "random":
            cols = r.randrange(3, 13)
            z = r.random() < 0.5
            out.append("# export %s, %d columns" % (self.iso(), cols))
            for _ in range(r.randrange(10, 120)):
                if z:
                    out.append(" ".join("%04d" % r.randrange(10000) for _ in range(cols)))
                else:
                    out.append(" ".join(str(r.randrange(1000, 10000)) for _ in range(cols)))
        elif k == "timetable":
            out.append("Line %d %s - %s, valid from %s" % (r.randrange(1, 300), r.choice(CITIES)[0], r.choice(STREETS), self.date(100)))
            start = r.randrange(4 * 60, 7 * 60)
            step = r.choice((10, 12, 15, 20, 30, 60))
            nstop = r.randrange(5, 25)
            for s in range(nstop):
                t = start + s * r.randrange(1, 4)
                row = []
                while t < 24 * 60 + 60:
                    row.append("%02d%02d" % ((t // 60) % 24, t % 60))
                    t += step
                out.append(("%-22s " % (r.choice(STREETS))) + " ".join(row))
        elif k == "postcodes":
            out.append("Delivery area %s (%s)" % (r.choice(CITIES)[0], self.date(30)))
            codes = sorted(r.sample(range(1000, 10000), r.randrange(20, 400)))
            per = r.randrange(6, 16)
            for i in range(0, len(codes), per):
                out.append(" ".join("%04d" % c for c in codes[i:i + per]))
        elif k == "years":
            for _ in range(r.randrange(5, 40)):
                y = r.randrange(1990, 2020)
                out.append("%s %s" % (" ".join(str(y + i) for i in range(r.randrange(3, 8))), " ".join(str(r.randrange(100, 9999)) for _ in range(r.randrange(3, 8)))))
        elif k == "codes":
            # part numbers / quantities in a fixed 4-digit layout, as in the sample "1234 5678 9012 3456 7890 1234"
            for _ in range(r.randrange(10, 80)):
                out.append("%s %s" % (r.choice(("", "", "R%03d " % r.randrange(1000), "%s " % self.date(10))),
                                      " ".join(str(r.randrange(1000, 10000)) for _ in range(6))))
        else:
            cols = r.randrange(3, 10)
            out.append(",".join("c%d" % i for i in range(cols)))
            for _ in range(r.randrange(10, 120)):
                out.append(",".join("%04d" % r.randrange(10000) for _ in range(cols)))
        return "\n".join(out) + "\n"

    def iban_text(self):
        r = self.r
        k = r.choices(("lines", "csv", "xml", "mixed"), (35, 35, 15, 15))[0]
        out = []
        if k == "lines":
            g = r.random()
            for _ in range(r.randrange(10, 150)):
                out.append(self.iban_print(grouped=(g < 0.5) if g < 0.8 else None))
        elif k == "csv":
            sep = r.choice((",", ";"))
            out.append(sep.join(("name", "iban", "bic", "amount", "reference", "due_date")))
            for _ in range(r.randrange(10, 150)):
                out.append(sep.join(("%s %s" % (r.choice(FIRST), r.choice(LAST)), self.iban_print(), r.choice(BICS),
                                     self.money(self.price()), "%s" % self.invoice_number(), self.date(10))))
        elif k == "xml":
            out.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pain.001.001.03\"><CstmrCdtTrfInitn>")
            out.append("<GrpHdr><MsgId>MSG%s</MsgId><CreDtTm>%s</CreDtTm></GrpHdr>" % (self.num(12), self.iso(z=False)))
            for _ in range(r.randrange(5, 60)):
                out.append("<CdtTrfTxInf><PmtId><EndToEndId>E2E%s</EndToEndId></PmtId><Amt><InstdAmt Ccy=\"EUR\">%s</InstdAmt></Amt>"
                           "<CdtrAgt><FinInstnId><BIC>%s</BIC></FinInstnId></CdtrAgt><Cdtr><Nm>%s %s</Nm></Cdtr>"
                           "<CdtrAcct><Id><IBAN>%s</IBAN></Id></CdtrAcct><RmtInf><Ustrd>%s</Ustrd></RmtInf></CdtTrfTxInf>" % (
                               self.num(14), self.money(self.price()), r.choice(BICS), r.choice(FIRST), r.choice(LAST), self.iban(),
                               self.invoice_number()))
            out.append("</CstmrCdtTrfInitn></Document>")
        else:
            for _ in range(r.randrange(10, 80)):
                out.append("Pay %s %s to %s %s (%s), ref %s" % (self.money(self.price()), r.choice(CURRENCIES), r.choice(FIRST), r.choice(LAST),
                                                               self.iban_print(), self.invoice_number()))
        return "\n".join(out) + "\n"

    def tracking_text(self):
        r = self.r
        k = r.choices(("lines", "csv", "mixed"), (40, 45, 15))[0]
        out = []
        if k == "lines":
            for _ in range(r.randrange(10, 150)):
                out.append(self.tracking()[1])
        elif k == "csv":
            out.append("order_id,carrier,tracking_number,shipped_at,weight_kg")
            for _ in range(r.randrange(10, 150)):
                c, t = self.tracking()
                out.append("%s,%s,%s,%s,%.3f" % (self.num(r.choice((8, 10))), c, t, self.iso(self.ts(30)), self.dbl(0.1, 30)))
        else:
            for _ in range(r.randrange(10, 80)):
                c, t = self.tracking()
                out.append("Your %s parcel %s for order %s ships %s" % (c, t, self.order_number(), self.date(5)))
        return "\n".join(out) + "\n"

    def ean_text(self):
        r = self.r
        k = r.choices(("lines", "csv", "space", "isbn"), (35, 40, 15, 10))[0]
        out = []
        if k == "lines":
            for _ in range(r.randrange(10, 200)):
                out.append(r.choice((self.gtin13, self.gtin13, self.gtin13, self.upc12, self.gtin14, self.ean8))())
        elif k == "csv":
            sep = r.choice((",", ";", "\t"))
            out.append(sep.join(("sku", "gtin", "upc", "gtin14", "title", "qty", "price")))
            for _ in range(r.randrange(10, 150)):
                out.append(sep.join(("%s-%s" % (self.alnum(3, UPPER), self.num(5)), self.gtin13(), self.upc12(), self.gtin14(),
                                     r.choice(PRODUCTS).replace(",", " ").replace(";", " "), str(r.randrange(0, 999)), self.money(self.price()))))
        elif k == "space":
            for _ in range(r.randrange(5, 60)):
                out.append(" ".join(self.gtin13() for _ in range(r.randrange(2, 8))))
        else:
            for _ in range(r.randrange(10, 120)):
                c = self.isbn13()
                out.append("%s\t%s\t%s" % (c, self.isbn13_hyphen(c), self.money(self.price())))
        return "\n".join(out) + "\n"

    def export_request(self, family):
        r = self.r
        text = {"tables": self.table4_text, "iban": self.iban_text, "tracking": self.tracking_text,
                "ean": self.ean_text, "orders": self.csv_orders}[family]()
        ctype = "application/xml" if text.startswith("<?xml") else r.choice(("text/plain; charset=utf-8", "text/csv"))
        path = {"tables": "/api/v1/imports/%d", "iban": "/api/payments/batches/%d", "tracking": "/api/v1/shipments/import/%d",
                "ean": "/api/v2/catalog/barcodes/%d", "orders": "/api/exports/orders/%d"}[family] % r.randrange(10 ** 5, 10 ** 9)
        if r.random() < 0.15:    # a file upload
            bnd = "----WebKitFormBoundary" + self.alnum(16, ALNUM + "abcdefghijklmnopqrstuvwxyz")
            body = ("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"%s-%s.%s\"\r\nContent-Type: %s\r\n\r\n%s\r\n"
                    "--%s\r\nContent-Disposition: form-data; name=\"uploaded_at\"\r\n\r\n%d\r\n--%s--\r\n") % (
                bnd, family, self.date(30), "xml" if ctype == "application/xml" else "csv", ctype.split(";")[0], text, bnd, self.ts_ms(), bnd)
            return "POST", path, "multipart/form-data; boundary=" + bnd, body
        return r.choice(("POST", "POST", "PUT")), path, ctype, text

    # -------------------------------------------------------------- requests
    def next_request(self, kind):
        r = self.r
        if kind == "api":
            x = r.random()
            if x < 0.50:
                m, p, ct, body = self.json_body()
            elif x < 0.64:
                m, p, ct, body = self.form_body()
            elif x < 0.76:
                return self.request("GET", self.get_path())
            elif x < 0.84:
                m, p, ct, body = self.html_body()
            else:
                fam = r.choices(("orders", "tables", "iban", "tracking", "ean"), (30, 20, 15, 15, 20))[0]
                m, p, ct, body = self.export_request(fam)
        else:
            m, p, ct, body = self.export_request(kind)
        return self.request(m, p, ct, body, chunked=r.random() < 0.03)


def generate(kind, seed, size_mib, out):
    if kind == "all":
        for k in KINDS:
            generate(k, seed, size_mib / len(KINDS), out)
        return
    g = Gen(seed, kind)
    limit = int(size_mib * MIB)
    n = 0
    buf = []
    bl = 0
    while n < limit:
        req = g.next_request(kind)
        buf.append(req)
        n += len(req)
        bl += len(req)
        if bl > 1 << 20:
            out.write(b"".join(buf))
            buf, bl = [], 0
    out.write(b"".join(buf))


# ------------------------------------------------------------------ --verify

def request_spans(data):
    """Split an HTTP/1.1 request stream into requests. Yields, per request, a dict:
    start, head_end (offset of the blank line), body_start, end (one past the last
    byte, chunk framing included), method, target, headers (lower-case name ->
    value, bytes) and header_lines [(name, start, end)]. Raises ValueError on any
    framing error: a bad request line or header, a Content-Length or chunk size
    that does not match, bytes left over."""
    i = 0
    n = 0
    methods = {b"GET", b"POST", b"PUT", b"PATCH", b"DELETE", b"HEAD", b"OPTIONS"}
    while i < len(data):
        n += 1
        start = i
        end = data.find(b"\r\n\r\n", i)
        if end < 0:
            raise ValueError("request %d at byte %d: head not terminated" % (n, i))
        lines = data[i:end].split(b"\r\n")
        parts = lines[0].split(b" ")
        if len(parts) != 3 or parts[0] not in methods or parts[2] != b"HTTP/1.1" or not parts[1].startswith(b"/"):
            raise ValueError("request %d at byte %d: bad request line %r" % (n, i, lines[0][:80]))
        hdr = {}
        hlines = []
        pos = i + len(lines[0]) + 2
        for ln in lines[1:]:
            k, sep, v = ln.partition(b":")
            if not sep or not k or k != k.strip() or b" " in k:
                raise ValueError("request %d at byte %d: bad header line %r" % (n, pos, ln[:80]))
            key = k.lower().decode()
            if key in hdr and key in ("content-length", "transfer-encoding", "host"):
                raise ValueError("request %d: duplicate %s" % (n, key))
            hdr[key] = v.strip()
            hlines.append((k.decode(), pos, pos + len(ln)))
            pos += len(ln) + 2
        if "host" not in hdr:
            raise ValueError("request %d at byte %d: no Host" % (n, i))
        i = end + 4
        body_start = i
        if hdr.get("transfer-encoding", b"").lower() == b"chunked":
            if "content-length" in hdr:
                raise ValueError("request %d: both Content-Length and chunked" % n)
            while True:
                le = data.find(b"\r\n", i)
                if le < 0:
                    raise ValueError("request %d: chunk size line not terminated" % n)
                size = int(data[i:le].split(b";")[0], 16)
                i = le + 2
                if size == 0:
                    if data[i:i + 2] != b"\r\n":
                        raise ValueError("request %d: no CRLF after the last chunk" % n)
                    i += 2
                    break
                if i + size + 2 > len(data) or data[i + size:i + size + 2] != b"\r\n":
                    raise ValueError("request %d: chunk of %d bytes not followed by CRLF" % (n, size))
                i += size + 2
        elif "content-length" in hdr:
            cl = int(hdr["content-length"])
            if i + cl > len(data):
                raise ValueError("request %d: Content-Length %d runs past the end of the file" % (n, cl))
            i += cl
            if i < len(data) and data[i:i + 8].split(b" ")[0] not in methods:
                raise ValueError("request %d: Content-Length %d is not followed by a request (%r)" % (n, cl, data[i:i + 20]))
        elif parts[0] in (b"POST", b"PUT", b"PATCH"):
            raise ValueError("request %d: %s without a body length" % (n, parts[0].decode()))
        yield {"start": start, "head_end": end, "body_start": body_start, "end": i, "method": parts[0].decode(),
               "target": parts[1].decode("latin-1"), "headers": hdr, "header_lines": hlines}


def verify(path):
    """Check that FILE is a sequence of complete HTTP/1.1 requests. Returns the count."""
    with open(path, "rb") as f:
        data = f.read()
    return sum(1 for _ in request_spans(data))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--size", type=float, default=12.0, help="MiB (default 12); the output stops at the first request end past it")
    ap.add_argument("--kind", choices=KINDS + ("all",), default="api")
    ap.add_argument("--out", help="output file (default: stdout)")
    ap.add_argument("--verify", nargs="+", metavar="FILE", help="check the HTTP framing of FILE(s) and exit")
    a = ap.parse_args()
    if a.verify:
        rc = 0
        for p in a.verify:
            try:
                print("%s: %d requests, framing OK" % (p, verify(p)))
            except (ValueError, OSError) as e:
                print("%s: %s" % (p, e), file=sys.stderr)
                rc = 1
        return rc
    if a.size <= 0:
        ap.error("--size must be positive")
    if a.out:
        with open(a.out, "wb") as f:
            generate(a.kind, a.seed, a.size, f)
    else:
        generate(a.kind, a.seed, a.size, sys.stdout.buffer)
        sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
