"""Kirim: creates the Chalice app and registers blueprints and middleware. Nothing else."""
from aws_lambda_powertools import Logger
from chalice import Chalice

from chalicelib.accounts.routes import auth_routes
from chalicelib.broadcasts.routes import broadcast_routes, unsubscribe_routes
from chalicelib.apidocs.routes import apidocs_routes
from chalicelib.applications.routes import application_routes
from chalicelib.callbacks.routes import callback_routes
from chalicelib.core.config import get_settings
from chalicelib.ivr.routes import ivr_routes
from chalicelib.monitoring.routes import monitoring_routes
from chalicelib.reports.routes import report_routes
from chalicelib.sending import oca_table
from chalicelib.sending.routes import channel_routes
from chalicelib.templates.routes import template_routes
from chalicelib.verify.routes import verify_routes
from chalicelib.web import middleware
from chalicelib.web.routes import console_routes
from chalicelib.whatsapp_webhook.routes import whatsapp_webhook_routes
from chalicelib.workers import workers

app = Chalice(app_name="kirim")
logger = Logger(service="kirim")
# OCA's form routes take multipart form data with files: API Gateway must pass it as binary. The
# channel routes accept any type ("*/*") and read JSON, urlencoded and multipart themselves.
app.api.binary_types.append("multipart/form-data")

middleware.register(app, logger, oca_table.dialect_of)
for blueprint in (auth_routes, application_routes, ivr_routes, template_routes, monitoring_routes, report_routes,
                  broadcast_routes, unsubscribe_routes, callback_routes, channel_routes, verify_routes,
                  whatsapp_webhook_routes, console_routes, apidocs_routes, workers):
    app.register_blueprint(blueprint)
# The test inbox shows full bodies (OTP codes included): it exists in the local stage only.
if get_settings().stage == "local":
    from chalicelib.simulator_inbox.routes import inbox_routes

    app.register_blueprint(inbox_routes)
