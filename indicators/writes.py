"""The one way changes to the data reach the public: recount the coverage summary and bump the
data version (``models.DataVersion``) in the writer's transaction, then tell the cache once it
commits (after the commit, so that a reader who misses the cache already sees the new rows).

Single saves and deletes come through the model signals connected here; bulk writers (admin
actions, the import, restore, synthetic data, the refresh command) send no signals and call
``figures_changed`` themselves, inside their transaction.
"""

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from countries.models import Area

from .cache import remember_data_version
from .models import Coverage, DataVersion, Indicator, Observation, Source


def bump_data_version():
    """A new data version in the caller's transaction (at once outside one); the cache learns it
    after the commit. Should the cache not hear of it, its copy expires within seconds."""
    number = DataVersion.bump()
    transaction.on_commit(lambda: remember_data_version(number))


def figures_changed(observations=None):
    """Figures were added, changed, published, unpublished or deleted: recount the coverage of
    their cells (of every cell with ``None``) and bump the data version, in the caller's
    transaction."""
    if observations is None:
        Coverage.objects.refresh()
    else:
        Coverage.objects.refresh_for(observations)
    bump_data_version()


def _observation_saved(sender, instance, raw=False, **kwargs):
    if not raw:  # loaddata: restore_data recounts everything once at the end
        figures_changed([instance])


def _other_data_saved(sender, raw=False, **kwargs):
    if not raw:  # loaddata: restore_data bumps once at the end
        bump_data_version()


def connect_signals():
    post_save.connect(_observation_saved, sender=Observation, dispatch_uid="smedash-observation-save")
    post_delete.connect(_observation_saved, sender=Observation, dispatch_uid="smedash-observation-delete")
    for model in (Area, Indicator, Source):
        post_save.connect(_other_data_saved, sender=model, dispatch_uid=f"smedash-save-{model.__name__}")
        post_delete.connect(_other_data_saved, sender=model, dispatch_uid=f"smedash-delete-{model.__name__}")
