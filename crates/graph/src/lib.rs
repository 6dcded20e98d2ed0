//! Microsoft Graph and Office 365 Management Activity API client: credentials, paging, delta, batch, throttling, typed models.
