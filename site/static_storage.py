from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's compressed, hashed storage, ignoring source-map comments.

    wagtail-nhsuk-frontend ships its minified CSS and JS with `sourceMappingURL` comments but without the .map files,
    which would otherwise make collectstatic fail.
    """

    patterns = tuple(
        (extension, tuple(pattern for pattern in rules if "sourceMappingURL" not in str(pattern)))
        for extension, rules in CompressedManifestStaticFilesStorage.patterns
    )
