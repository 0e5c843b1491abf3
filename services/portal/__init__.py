"""Meria staff portal: the staff portal: forms that start workflows, the task inbox
and the workflow dashboard.
"""
