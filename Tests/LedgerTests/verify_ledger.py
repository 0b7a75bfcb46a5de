#!/usr/bin/env python3
"""An independent verifier of a Tessera ledger, written from docs/LEDGER.md alone with Python's
standard library and the `openssl` command line (OpenSSL 3).

    verify_ledger.py --ledger ledger.sqlite --ca ca.pem [--receipts DIR] [--head FILE ...]

Prints "OK <n> entries, head <hash>" and exits 0, or "FAIL entry <sequence>: <reason>" (or
"FAIL <file>: <reason>" for a receipt or signed head) and exits 1.
"""
import argparse
import base64
import calendar
import decimal
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time

LEDGER_SIGNING_OID = "2.25.279110837110713459072464236569464203761"
ENTRY_MEMBERS = {"kind", "payload", "round", "sequence", "site", "time"}


class Failure(Exception):
    pass


# --- RFC 8785 (JCS), docs/LEDGER.md section 2 ---

def es_number(value):
    """ECMAScript Number.prototype.toString of a finite double."""
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError("NaN or infinity")
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    # repr gives the shortest round-tripping digits; Decimal splits them from the exponent.
    _, digit_tuple, exponent = decimal.Decimal(repr(abs(value))).as_tuple()
    digits = "".join(map(str, digit_tuple))
    stripped = digits.rstrip("0")
    exponent += len(digits) - len(stripped)
    digits = stripped
    k = len(digits)
    n = k + exponent  # value = 0.digits * 10**n
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
        text = mantissa + "e" + ("-" if e < 0 else "+") + str(abs(e))
    return sign + text


def jcs_string(text):
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\b":
            out.append("\\b")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\f":
            out.append("\\f")
        elif ch == "\r":
            out.append("\\r")
        elif code < 0x20:
            out.append("\\u%04x" % code)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def jcs(value):
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return es_number(float(value)) if abs(value) >= 2 ** 53 else str(value)
    if isinstance(value, float):
        return es_number(value)
    if isinstance(value, str):
        return jcs_string(value)
    if isinstance(value, list):
        return "[" + ",".join(jcs(element) for element in value) + "]"
    if isinstance(value, dict):
        keys = sorted(value, key=lambda key: key.encode("utf-16-be"))
        return "{" + ",".join(jcs_string(key) + ":" + jcs(value[key]) for key in keys) + "}"
    raise ValueError("not a JSON value: %r" % (value,))


def no_duplicates(pairs):
    members = {}
    for key, value in pairs:
        if key in members:
            raise ValueError("duplicate member name %r" % key)
        members[key] = value
    return members


def parse_json(text):
    def refuse(constant):
        raise ValueError("%s is not JSON" % constant)
    return json.loads(text, object_pairs_hook=no_duplicates, parse_constant=refuse)


def canonical_bytes(value):
    return jcs(value).encode("utf-8")  # a lone surrogate cannot be encoded: refused


# --- openssl ---

def openssl(arguments, workdir):
    return subprocess.run(["openssl"] + arguments, cwd=workdir, capture_output=True, text=True)


def openssl_time(text):
    """'Mar  1 12:00:00 2025 GMT' -> seconds since 1970."""
    return calendar.timegm(time.strptime(text.strip(), "%b %d %H:%M:%S %Y %Z"))


def rfc3339_seconds(text):
    return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))


class LedgerKey:
    """The ledger certificate from entry 1, checked against the CA, and its public key."""

    def __init__(self, der, ca_path, at_time, workdir):
        self.workdir = workdir
        self.fingerprint = hashlib.sha256(der).hexdigest()
        with open(os.path.join(workdir, "ledger.der"), "wb") as handle:
            handle.write(der)
        if openssl(["x509", "-inform", "DER", "-in", "ledger.der", "-out", "ledger.pem"], workdir).returncode != 0:
            raise Failure("entry 1: the ledger certificate cannot be read")
        verified = openssl(["verify", "-x509_strict", "-CAfile", os.path.abspath(ca_path),
                            "-attime", str(at_time), "ledger.pem"], workdir)
        if verified.returncode != 0:
            raise Failure("entry 1: the ledger certificate does not verify against the CA: "
                          + (verified.stdout + verified.stderr).strip().replace("\n", " "))
        usage = openssl(["x509", "-in", "ledger.pem", "-noout", "-ext", "extendedKeyUsage"], workdir)
        if LEDGER_SIGNING_OID not in usage.stdout:
            raise Failure("entry 1: the ledger certificate lacks the ledger-signing usage")
        dates = openssl(["x509", "-in", "ledger.pem", "-noout", "-startdate", "-enddate"], workdir).stdout.splitlines()
        fields = dict(line.split("=", 1) for line in dates if "=" in line)
        self.not_before = openssl_time(fields["notBefore"])
        self.not_after = openssl_time(fields["notAfter"])
        public = openssl(["x509", "-in", "ledger.pem", "-noout", "-pubkey"], workdir)
        with open(os.path.join(workdir, "ledger-public.pem"), "w") as handle:
            handle.write(public.stdout)

    def verifies(self, signature, message):
        with open(os.path.join(self.workdir, "message.bin"), "wb") as handle:
            handle.write(message)
        with open(os.path.join(self.workdir, "signature.bin"), "wb") as handle:
            handle.write(signature)
        result = openssl(["pkeyutl", "-verify", "-pubin", "-inkey", "ledger-public.pem", "-rawin",
                          "-in", "message.bin", "-sigfile", "signature.bin"], self.workdir)
        return result.returncode == 0


# --- docs/LEDGER.md section 5 ---

def check_entry(row, signed):
    """The canonical members agree with the row's columns."""
    sequence = row["sequence"]
    if not isinstance(signed, dict) or not set(signed) <= ENTRY_MEMBERS:
        raise Failure("entry %d: the canonical bytes are not an entry object" % sequence)
    if signed.get("sequence") != sequence:
        raise Failure("entry %d: the row holds signed entry %s (reordered or renumbered)" % (sequence, signed.get("sequence")))
    columns = {"kind": row["kind"], "time": row["time"], "round": row["round"], "site": row["site"]}
    for field, column in columns.items():
        if signed.get(field) != column or (column is None) != (field not in signed):
            raise Failure("entry %d: column %s is %r but the signed entry says %r" % (sequence, field, column, signed.get(field)))
    if canonical_bytes(parse_json(row["payload"])) != canonical_bytes(signed["payload"]):
        raise Failure("entry %d: column payload differs from the signed entry" % sequence)


def verify(ledger_path, ca_path, receipts_dir, workdir, heads=()):
    database = sqlite3.connect("file:%s?mode=ro" % os.path.abspath(ledger_path), uri=True)
    database.row_factory = sqlite3.Row
    rows = database.execute("SELECT * FROM ledger_entry ORDER BY sequence").fetchall()
    if not rows:
        raise Failure("the ledger has no entries")
    key = None
    previous = bytes(32)
    for position, row in enumerate(rows, start=1):
        sequence = row["sequence"]
        if sequence != position:
            raise Failure("entry %d: missing (the next entry is %d)" % (position, sequence))
        canonical = bytes(row["canonical"])
        try:
            signed = parse_json(canonical.decode("utf-8"))
            if canonical_bytes(signed) != canonical:
                raise ValueError("not in JCS form")
        except ValueError as error:
            raise Failure("entry %d: the canonical bytes are not canonical JSON (%s)" % (sequence, error))
        check_entry(row, signed)
        if position == 1:
            if row["kind"] != "ledger-created":
                raise Failure("entry 1: is %s, expected ledger-created" % row["kind"])
            der = base64.b64decode(signed["payload"]["certificate"], validate=True)
            key = LedgerKey(der, ca_path, rfc3339_seconds(row["time"]), workdir)
        if bytes(row["previous_hash"]) != previous:
            raise Failure("entry %d: previous_hash is not the previous entry's hash" % sequence)
        computed = hashlib.sha256(previous + canonical).digest()
        if computed != bytes(row["hash"]):
            raise Failure("entry %d: stored hash %s, computed %s" % (sequence, bytes(row["hash"]).hex(), computed.hex()))
        if not key.verifies(bytes(row["signature"]), computed):
            raise Failure("entry %d: the signature does not verify with the certified ledger key" % sequence)
        if not key.not_before <= rfc3339_seconds(row["time"]) <= key.not_after:
            raise Failure("entry %d: appended outside the ledger certificate's validity" % sequence)
        previous = computed
    check_contributions(rows)
    if receipts_dir:
        files = [os.path.join(directory, name) for directory, _, names in os.walk(receipts_dir) for name in names]
        for path in sorted(files):
            if path.endswith(".json"):
                check_receipt(path, rows, key)
    for path in heads:
        check_head(path, rows, key)
    return len(rows), previous.hex()


def check_contributions(rows):
    """LEDGER.md 5.5: each aggregation counts exactly the last update accepted from each site in
    its round, and nothing is accepted into a round already aggregated or failed."""
    accepted, closed = {}, {}
    for row in rows:
        kind, round_number = row["kind"], row["round"]
        payload = parse_json(row["payload"])
        if kind == "update-accepted":
            if round_number in closed:
                raise Failure("entry %d: accepted into round %d, closed by entry %d" % (row["sequence"], round_number, closed[round_number]))
            accepted.setdefault(round_number, {})[row["site"]] = (payload["digest"], payload["samples"], row["sequence"])
        elif kind == "round-aggregated":
            closed[round_number] = row["sequence"]
            expected = dict(accepted.get(round_number, {}))
            for contributor in payload["contributors"]:
                update = expected.pop(contributor["site"], None)
                if update is None or update[:2] != (contributor["digest"], contributor["samples"]):
                    raise Failure("entry %d: counts %s's update %s, not the one accepted" % (row["sequence"], contributor["site"], contributor["digest"]))
            if expected:
                site = min(expected, key=lambda name: expected[name][2])
                raise Failure("entry %d: round %d aggregated without %s's update accepted in entry %d"
                              % (row["sequence"], round_number, site, expected[site][2]))
        elif kind == "round-failed":
            closed[round_number] = row["sequence"]


def check_receipt(path, rows, key):
    with open(path, "rb") as handle:
        receipt = parse_json(handle.read().decode("utf-8"))
    for field in ("digest", "entry_hash", "ledger_key_fingerprint", "previous_hash"):  # hex in either case, as the Swift decoder reads it
        if isinstance(receipt.get(field), str):
            receipt[field] = receipt[field].lower()
    sequence = receipt["sequence"]
    if receipt["ledger_key_fingerprint"] != key.fingerprint:
        raise Failure("%s: the receipt names another ledger key" % path)
    if not key.verifies(base64.b64decode(receipt["signature"]), bytes.fromhex(receipt["entry_hash"])):
        raise Failure("%s: the receipt is not signed by the ledger key" % path)
    # LEDGER.md 6: the receipt's fields are those of the entry its signature covers (a receipt kept
    # from before receipts carried their entry is checked against the ledger alone).
    if "entry" in receipt or "previous_hash" in receipt:
        if "entry" not in receipt or "previous_hash" not in receipt:
            raise Failure("%s: not a readable receipt (previous_hash and entry must both be present or both absent)" % path)
        entry_bytes = receipt["entry"].encode("utf-8")
        if hashlib.sha256(bytes.fromhex(receipt["previous_hash"]) + entry_bytes).hexdigest() != receipt["entry_hash"]:
            raise Failure("%s: the receipt's entry does not hash to its entry_hash" % path)
        entry = parse_json(receipt["entry"])
        signed = {"kind": entry.get("kind"), "sequence": entry.get("sequence"), "round": entry.get("round"),
                  "site": entry.get("site"), "digest": entry.get("payload", {}).get("digest")}
        for field, value in signed.items():
            found = "update-accepted" if field == "kind" else receipt[field]
            if found != value:
                raise Failure("%s: the receipt's %s is %r, but the entry it is signed for has %r" % (path, field, found, value))
    if not 1 <= sequence <= len(rows):
        raise Failure("entry %d: missing, receipted by %s, but the ledger ends at %d" % (sequence, path, len(rows)))
    row = rows[sequence - 1]
    payload = parse_json(row["payload"])
    expected = {"entry_hash": bytes(row["hash"]).hex(), "round": row["round"], "site": row["site"],
                "digest": payload.get("digest")}
    if row["kind"] != "update-accepted":
        raise Failure("entry %d: is %s, but %s receipts an accepted update" % (sequence, row["kind"], path))
    for field, value in expected.items():
        if receipt[field] != value:
            raise Failure("entry %d: %s is %r in the ledger but %r in %s" % (sequence, field, value, receipt[field], path))


def check_head(path, rows, key):
    """LEDGER.md 5.7: a signed head kept earlier is still in the ledger as signed."""
    with open(path, "rb") as handle:
        head = parse_json(handle.read().decode("utf-8"))
    if head["ledger_key_fingerprint"] != key.fingerprint:
        raise Failure("%s: the head names another ledger key" % path)
    if not key.verifies(base64.b64decode(head["signature"]), bytes.fromhex(head["hash"])):
        raise Failure("%s: the head is not signed by the ledger key" % path)
    sequence = head["sequence"]  # not signed: the entry is looked up by its hash
    if not any(bytes(row["hash"]).hex() == head["hash"] for row in rows):
        raise Failure("entry %d: %s is a signed head the ledger no longer holds (it ends at %d)" % (sequence, path, len(rows)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ledger", required=True)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--receipts")
    parser.add_argument("--head", action="append", default=[])
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        try:
            count, head = verify(arguments.ledger, arguments.ca, arguments.receipts, workdir, arguments.head)
        except Failure as failure:
            print("FAIL %s" % failure)
            return 1
    print("OK %d entries, head %s" % (count, head))
    return 0


if __name__ == "__main__":
    sys.exit(main())
