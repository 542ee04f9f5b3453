"""docframe.model (see docs/architecture.md).

Importing the package loads :mod:`~docframe.model.lifecycle`, which installs the implementation
of the document actions (``doc.save()``, ``doc.db_set()``, ``doc.has_permission()``...) and, through
:mod:`~docframe.model.persistence`, the loader the permission rules use for a child row's parent.
So whoever uses a ``Document`` finds both installed, whichever of the model's modules it imported.
"""

from docframe.model import lifecycle as lifecycle
