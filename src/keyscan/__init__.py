"""keyscan: a secret-leak scanner for working trees and git history."""

__version__ = "0.1.0"
