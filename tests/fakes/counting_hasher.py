"""Django's PBKDF2 hasher, counting the passwords it checks: proof that a lock skips the hash."""

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class CountingPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    """Same algorithm name, so it verifies the passwords the default hasher stored."""

    verified = 0

    def verify(self, password: str, encoded: str) -> bool:
        type(self).verified += 1
        return super().verify(password, encoded)
