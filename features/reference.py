"""Small reference tables the features join against (public facts, kept in code for review)."""

from __future__ import annotations

import polars as pl

# Autonomous systems of large hosting and cloud providers: traffic from them is automated or proxied.
HOSTING_ASNS = {
    16509: "Amazon AWS",
    14618: "Amazon",
    14061: "DigitalOcean",
    24940: "Hetzner",
    16276: "OVH",
    396982: "Google Cloud",
    15169: "Google",
    8075: "Microsoft Azure",
    45102: "Alibaba Cloud",
    63949: "Akamai Linode",
    20473: "Vultr",
    13335: "Cloudflare",
    31898: "Oracle Cloud",
    132203: "Tencent Cloud",
    9009: "M247",
}
WEBMAIL_DOMAINS = [
    "gmail.com",
    "outlook.com",
    "hotmail.com",
    "yahoo.com",
    "proton.me",
    "protonmail.com",
    "icloud.com",
    "qq.com",
    "163.com",
    "126.com",
    "gmx.de",
    "mail.ru",
    "yandex.ru",
    "aol.com",
]
# Representative UTC offset of each billing country, for local-time features.
COUNTRY_UTC_OFFSET = {
    "US": -6,
    "CA": -5,
    "BR": -3,
    "GB": 0,
    "FR": 1,
    "DE": 1,
    "ES": 1,
    "IT": 1,
    "NL": 1,
    "RU": 3,
    "IN": 5,
    "SG": 8,
    "CN": 8,
    "KR": 9,
    "JP": 9,
    "AU": 10,
    "NG": 1,
    "KE": 3,
    "PE": -5,
    "PT": 0,
    "EG": 2,
    "NO": 1,
}


def tables() -> dict[str, pl.DataFrame]:
    return {
        "ref_hosting_asn": pl.DataFrame(
            {"asn": list(HOSTING_ASNS), "provider": list(HOSTING_ASNS.values())},
            schema={"asn": pl.Int32, "provider": pl.String},
        ),
        "ref_webmail_domain": pl.DataFrame({"email_domain": WEBMAIL_DOMAINS}),
        "ref_country_offset": pl.DataFrame(
            {"country": list(COUNTRY_UTC_OFFSET), "utc_offset_hours": list(COUNTRY_UTC_OFFSET.values())},
            schema={"country": pl.String, "utc_offset_hours": pl.Int32},
        ),
    }
