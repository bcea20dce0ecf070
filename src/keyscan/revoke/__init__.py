"""Revoking leaked credentials at their issuers: plan first, act only when told to.

Kept import-light on purpose: the rule schema imports ``keyscan.revoke.names``
on every scan, and nothing here should pull in HTTP or AWS code for that.
"""
