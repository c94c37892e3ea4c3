"""Fill empty msgstr entries of locale/zh_Hans/LC_MESSAGES/django.po from a JSON file
of {msgid: msgstr} (for a plural, msgstr is a list). Dev tool: needs `pip install polib`.

Usage: .venv/bin/python scripts/fill_po.py translations.json
"""

import json
import sys

import polib

PO = "locale/zh_Hans/LC_MESSAGES/django.po"

po = polib.pofile(PO)
translations = json.load(open(sys.argv[1], encoding="utf-8"))
missing = []
for entry in po:
    if entry.obsolete:
        continue
    value = translations.get(entry.msgid)
    if entry.msgid_plural:
        if value and not any(entry.msgstr_plural.values()):
            entry.msgstr_plural = {0: value if isinstance(value, str) else value[0]}
        elif not any(entry.msgstr_plural.values()):
            missing.append(entry.msgid)
    elif value and not entry.msgstr:
        entry.msgstr = value
    elif not entry.msgstr:
        missing.append(entry.msgid)
    if "fuzzy" in entry.flags and entry.msgstr:
        entry.flags.remove("fuzzy")
po.save(PO)
print(f"{len(missing)} still untranslated")
for msgid in missing:
    print("  ", repr(msgid))
