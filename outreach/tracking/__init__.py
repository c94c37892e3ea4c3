"""The resident's side of an errand (我的代办进度): the progress code every errand and
online order carries, the public progress page that shows it in plain words to whoever
has the code and the last four digits of the phone on record, and the resident's own
rating after delivery."""
