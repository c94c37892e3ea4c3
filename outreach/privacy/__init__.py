"""The personal data lifecycle (PIPL): the audit log officials read, how long personal
data is kept (``purge_expired``) and the rotation of the national-ID key (``rotate_field_key``)."""
