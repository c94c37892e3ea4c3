"""Cache-Control for every page and API answer: nothing Daiban serves may be kept by a
browser, a proxy or the service worker unless its view says otherwise.

Pages and JSON carry residents' names, addresses, masked IDs and photos; a phone that
keeps them in its HTTP cache or back-forward cache shows them to whoever picks it up
after logout. Views that are safe to keep (the worker script, the manifest, the offline
page, static files) set their own header, which this leaves alone.
"""

from django.utils.cache import patch_cache_control


class NoStoreMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            patch_cache_control(response, no_store=True, private=True)
        return response
