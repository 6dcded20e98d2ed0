//! A simulated Microsoft 365 tenant that speaks Microsoft's HTTP: identity platform, Graph, Management Activity API.
