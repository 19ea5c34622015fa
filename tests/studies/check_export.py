"""Reads a `glasswing study export` folder back with pandas and checks it (study_export tests).

usage: check_export.py DIR csv|jsonl EXPECTED_JSON [--no-rationale]
EXPECTED_JSON maps table names to expected row counts. Exits non-zero with a message on failure.
"""
import hashlib
import json
import os
import re
import sys

import pandas as pd


def fail(message):
    print("check_export: " + message, file=sys.stderr)
    sys.exit(1)


def main():
    folder, fmt, expected = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    no_rationale = "--no-rationale" in sys.argv[4:]
    with open(os.path.join(folder, "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    if manifest["export_format"] != fmt:
        fail("manifest says format " + manifest["export_format"])
    if manifest["rationale_included"] == no_rationale:
        fail("manifest rationale_included is wrong")

    def read(name):
        path = os.path.join(folder, manifest["tables"][name]["file"])
        if fmt == "csv":
            return pd.read_csv(path, dtype={"payload": str})
        if os.path.getsize(path) == 0:
            return pd.DataFrame()
        return pd.read_json(path, lines=True, dtype=False)

    dictionary = read("data_dictionary")
    if list(dictionary.columns) != ["table", "column", "type", "description", "values"]:
        fail("data dictionary columns: %s" % list(dictionary.columns))
    tables = {}
    for name, info in manifest["tables"].items():
        df = read(name)
        tables[name] = df
        if len(df) != info["rows"]:
            fail("%s: %d rows, manifest says %d" % (name, len(df), info["rows"]))
        documented = list(dictionary[dictionary["table"] == name]["column"])
        if not documented:
            fail("table %s is missing from the data dictionary" % name)
        if (fmt == "csv" or len(df) > 0) and list(df.columns) != documented:
            fail("%s: columns %s, dictionary says %s" % (name, list(df.columns), documented))
    for name, rows in expected.items():
        if len(tables[name]) != rows:
            fail("%s: %d rows, expected %d" % (name, len(tables[name]), rows))

    # Joined by ids: every event row names a known session and participant, with its condition.
    participants = tables["participants"].set_index("participant_id")
    sessions = tables["sessions"].set_index("session_id")
    for name in ["events", "decision", "questionnaire", "card_sort", "card_sort_items", "panel_close"]:
        df = tables[name]
        if len(df) == 0:
            continue
        joined = df.merge(tables["participants"][["participant_id", "condition_id"]],
                          on="participant_id", suffixes=("", "_p"), how="left", validate="many_to_one")
        if joined["condition_id_p"].isna().any() or (joined["condition_id"] != joined["condition_id_p"]).any():
            fail("%s: rows whose participant or condition does not join" % name)
        if not df["session_id"].isin(sessions.index).all():
            fail("%s: rows whose session does not join" % name)
    if not tables["sessions"]["participant_id"].isin(participants.index).all():
        fail("sessions: unknown participant")
    counts = tables["events"].groupby("kind").size().to_dict()
    for kind, n in counts.items():
        if len(tables[kind]) != n:
            fail("table %s has %d rows, events has %d of that kind" % (kind, len(tables[kind]), n))

    decision = tables["decision"]
    if no_rationale:
        if "rationale" in decision.columns:
            fail("rationale column present although excluded")
    else:
        if "rationale" not in decision.columns:
            fail("rationale column missing")
        # Recompute the hash chain from the exported log, independently of the C++ code.
        prev = hashlib.sha256(
            ("glasswing-study/1\n" + json.dumps(manifest["protocol"], sort_keys=True,
                                                separators=(",", ":"), ensure_ascii=False)).encode()).hexdigest()
        for row in tables["events"].itertuples(index=False):
            payload = row.payload if isinstance(row.payload, str) else json.dumps(
                row.payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            event = {"format": "glasswing-study-event/1", "seq": int(row.event_seq), "ts_utc": row.ts_utc,
                     "mono_ns": int(row.mono_ns), "session_id": row.session_id,
                     "participant_id": row.participant_id, "kind": row.kind, "payload": payload,
                     "prev_hash": row.prev_hash}
            if row.prev_hash != prev:
                fail("event %d: prev_hash does not link" % row.event_seq)
            digest = hashlib.sha256(json.dumps(event, sort_keys=True, separators=(",", ":"),
                                               ensure_ascii=False).encode()).hexdigest()
            if digest != row.hash:
                fail("event %d: hash recomputed in Python differs" % row.event_seq)
            prev = row.hash
        if prev != manifest["head_hash"]:
            fail("chain head differs from the manifest")

    # The columns that docs/STUDIES.md §6 lists for the fixed tables are the exported ones.
    doc_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "STUDIES.md")
    with open(doc_path, encoding="utf-8") as f:
        doc = f.read()
    section = doc[doc.index("## 6. Exports"):]
    for name in ["participants", "sessions", "events", "card_sort_items", "data_dictionary"]:
        row = next(line for line in section.splitlines() if line.startswith("| `%s` |" % name))
        cell = re.sub(r"\([^)]*\)", "", row.split("|")[3])  # drop "(1 = most important)" etc.
        listed = re.findall(r"`([a-z_]+)`", cell)
        documented = list(dictionary[dictionary["table"] == name]["column"])
        if listed != documented:
            fail("docs/STUDIES.md lists %s columns %s, the export has %s" % (name, listed, documented))

    ratings = decision.groupby("condition_id")["willingness"].mean().to_dict()
    print(json.dumps({"rows": {k: len(v) for k, v in tables.items()}, "mean_willingness": ratings}))


if __name__ == "__main__":
    main()
