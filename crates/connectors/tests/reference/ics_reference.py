"""Independent reference counts for the iCalendar connector's tests, by the Python `icalendar`
package (pip install icalendar; made with 7.3.2).

    python ics_reference.py /work/shared/data/formats/ics/libical > ics_counts.json

Per file: VCALENDARs, VEVENTs (top level of a VCALENDAR, not inside alarms), VEVENTs outside
any VCALENDAR (not iCalendar; the connector rejects them), distinct
(UID, RECURRENCE-ID), ATTENDEE lines by PARTSTAT (NEEDS-ACTION when absent, RFC 5545 3.2.12),
VEVENTs with an ORGANIZER, distinct organizer addresses (lower case, mailto: dropped), VEVENTs
by their calendar's METHOD. Only these properties are looked at.
"""

import json
import sys
from collections import Counter
from pathlib import Path

import icalendar


def addr(v):
    s = str(v).strip()
    if s.lower().startswith("mailto:"):
        s = s[7:]
    return s.lower()


def tolerant():
    """Error-tolerant parsing for every component (icalendar's own mode for VEVENTs): a value
    that does not parse is kept as a broken property, it does not stop the file (2446.ics has
    `19970901T1300Z`, a time without seconds)."""
    for cls in icalendar.cal.component_factory.ComponentFactory().values():
        cls.ignore_exceptions = True
    icalendar.Calendar.ignore_exceptions = True


def counts(path):
    cals = icalendar.Calendar.from_ical(path.read_bytes(), multiple=True)
    n_events = 0
    n_outside = 0
    keys = set()
    partstat = Counter()
    with_org = 0
    organizers = set()
    methods = Counter()
    n_calendars = 0
    for cal in cals:
        if cal.name != "VCALENDAR":
            # A component outside any VCALENDAR (large.ics has bare VEVENTs and VTODOs).
            n_outside += cal.name == "VEVENT"
            continue
        n_calendars += 1
        method = str(cal.get("METHOD", "")).upper()
        for ev in cal.subcomponents:
            if ev.name != "VEVENT":
                continue
            n_events += 1
            methods[method or "NONE"] += 1
            rid = ev.get("RECURRENCE-ID")
            keys.add((str(ev.get("UID", "")), rid.to_ical().decode() if rid is not None else ""))
            att = ev.get("ATTENDEE")
            if att is not None:
                for a in att if isinstance(att, list) else [att]:
                    partstat[str(a.params.get("PARTSTAT", "NEEDS-ACTION")).upper()] += 1
            org = ev.get("ORGANIZER")
            if org is not None:
                with_org += 1
                organizers.add(addr(org))
    return {
        "vcalendars": n_calendars,
        "vevents_outside_vcalendar": n_outside,
        "vevents": n_events,
        "distinct_uid_rid": len(keys),
        "attendees_by_partstat": dict(sorted(partstat.items())),
        "vevents_with_organizer": with_org,
        "distinct_organizers": len(organizers),
        "vevents_by_method": dict(sorted(methods.items())),
    }


def main():
    tolerant()
    root = Path(sys.argv[1])
    out = {}
    for f in sorted(root.glob("*.ics")):
        out[f.name] = counts(f)
    json.dump(out, sys.stdout, indent=2, sort_keys=True)
    print()


if __name__ == "__main__":
    main()
