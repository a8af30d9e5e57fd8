"""Small pieces every domain's services share: paging, access checks, events, validation."""
