from django.http import HttpResponse


def catalogue(request):
    return HttpResponse("")


tag_detail = course_detail = lesson_detail = catalogue
