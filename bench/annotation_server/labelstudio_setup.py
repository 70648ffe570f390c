"""Create Label Studio annotators in the default organisation, with legacy API tokens (run by LS's Python).

Runs inside Label Studio's own virtual environment (never Assay's), against the database named by the
usual Label Studio environment variables (DJANGO_DB, POSTGRE_*, DJANGO_SETTINGS_MODULE):

    /work/peers/label-studio/bin/python bench/annotation_server/labelstudio_setup.py PREFIX N

Prints one JSON object {"tokens": {email: token}} on its last line. `labelstudio_load.py` calls it; the
peer-benchmark notes explain why a Django script is needed (`POST /api/users` creates users outside any
organisation and cannot mint their tokens).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def main() -> None:
    prefix, n = sys.argv[1], int(sys.argv[2])
    import label_studio

    sys.path.insert(0, str(Path(label_studio.__file__).parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings.label_studio")
    import django

    django.setup()
    from organizations.models import Organization
    from rest_framework.authtoken.models import Token
    from users.models import User

    org = Organization.objects.order_by("id").first()
    if org is None:
        raise SystemExit("no organisation: run `label-studio init` first")
    tokens: dict[str, str] = {}
    for i in range(n):
        email = f"{prefix}{i:03d}@bench.local"
        user = User.objects.filter(email=email).first() or User.objects.create_user(email=email,
                                                                                    password="bench-pass-123")
        org.add_user(user)
        user.active_organization = org
        user.save()
        tokens[email] = Token.objects.get_or_create(user=user)[0].key
    print(json.dumps({"tokens": tokens}))


if __name__ == "__main__":
    main()
