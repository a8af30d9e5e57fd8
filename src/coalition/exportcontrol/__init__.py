"""Export control: authorisations issued by exporting nations, and exemptions as data."""
