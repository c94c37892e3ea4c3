"""Fill empty msgstr entries of locale/zh_Hans/LC_MESSAGES/django.po from a JSON file
of {msgid: msgstr} (for a plural, msgstr is a list). Dev tool: needs `pip install polib`.

Usage: .venv/bin/python scripts/fill_po.py translations.json
"""

import json
import sys

import polib

PO = "locale/zh_Hans/LC_MESSAGES/django.po"

po = polib.pofile(PO)
with open(sys.argv[1], encoding="utf-8") as source:
    translations = json.load(source)
missing = []
for entry in po:
    if entry.obsolete:
        continue
    value = translations.get(entry.msgid)
    if entry.msgid_plural:
        if value and (not any(entry.msgstr_plural.values()) or "fuzzy" in entry.flags):
            entry.msgstr_plural = {0: value if isinstance(value, str) else value[0]}  # Chinese has one plural form
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
                entry.previous_msgid = entry.previous_msgid_plural = entry.previous_msgctxt = None
        elif not any(entry.msgstr_plural.values()):
            missing.append(entry.msgid)
    elif value and (not entry.msgstr or "fuzzy" in entry.flags):
        entry.msgstr = value
        if "fuzzy" in entry.flags:  # a guess by msgmerge, now replaced by a real translation
            entry.flags.remove("fuzzy")
            entry.previous_msgid = entry.previous_msgid_plural = entry.previous_msgctxt = None
    elif not entry.msgstr or "fuzzy" in entry.flags:
        missing.append(entry.msgid)
po.save(PO)
print(f"{len(missing)} still untranslated")
for msgid in missing:
    print("  ", repr(msgid))
