/// The API contract, served at `/openapi.json` and shown at `/docs`. Kept by hand next to the code it
/// describes; `scripts/test` validates it and runs schemathesis against a live server, so the two cannot
/// drift apart unnoticed.
enum OpenAPIDocument {
    static let json = #"""
{
  "openapi": "3.1.0",
  "info": {
    "title": "Booking service",
    "version": "1.0.0",
    "description": "Book units of resources with a limited stock. Every path also answers with or without its trailing slash. Every error has the Error shape."
  },
  "paths": {
    "/health": {
      "get": {
        "summary": "Liveness",
        "operationId": "health",
        "description": "The process is alive; no database call.",
        "security": [{}],
        "responses": {
          "200": {
            "description": "Alive.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Status"}}}
          },
          "default": {"$ref": "#/components/responses/OtherError"}
        }
      }
    },
    "/ready": {
      "get": {
        "summary": "Readiness",
        "operationId": "ready",
        "description": "The database answers and every migration is applied.",
        "security": [{}],
        "responses": {
          "200": {
            "description": "Ready.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Status"}}}
          },
          "503": {
            "description": "Not ready (code not_ready); the reason says why.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
          },
          "default": {"$ref": "#/components/responses/OtherError"}
        }
      }
    },
    "/metrics": {
      "get": {
        "summary": "Prometheus metrics",
        "operationId": "metrics",
        "description": "Request counts and latency by route pattern, method and status; bookings, units, refusals, logins and database pool use, in the Prometheus text format. Open unless the server sets METRICS_TOKEN, in which case it needs `Authorization: Bearer <METRICS_TOKEN>`; user tokens play no part.",
        "security": [{}, {"MetricsToken": []}],
        "responses": {
          "200": {
            "description": "Every series, in the Prometheus text format 0.0.4.",
            "content": {"text/plain": {"schema": {"type": "string"}}}
          },
          "401": {
            "description": "METRICS_TOKEN is set and was not presented (code metrics_token_required).",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
          },
          "default": {"$ref": "#/components/responses/OtherError"}
        }
      }
    },
    "/users/": {
      "post": {
        "summary": "Sign up",
        "operationId": "signUp",
        "responses": {
          "201": {
            "description": "The new user.",
            "links": {
              "GetUser": {"operationId": "getUser", "parameters": {"id": "$response.body#/id"}},
              "SetUserFlags": {"operationId": "setUserFlags", "parameters": {"id": "$response.body#/id"}}
            },
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/User"}}}
          },
          "400": {
            "description": "A missing or invalid field, a mismatch, or a taken username or e-mail.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
          },
          "401": {"$ref": "#/components/responses/InvalidToken"},
          "429": {
            "description": "Too many sign-ups from this client address within the hour (SIGNUPS_PER_HOUR; code too_many_signups). An admin's token is not limited.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            "headers": {
              "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds until another sign-up is accepted."}
            }
          },
          "default": {"$ref": "#/components/responses/OtherError"}
        },
        "security": [{}, {"TokenAuth": []}, {"BearerAuth": []}],
        "requestBody": {
          "required": true,
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SignUp"}}}
        }
      },
      "get": {
        "summary": "List users",
        "operationId": "listUsers",
        "responses": {
          "200": {
            "description": "Admins: every user (filtered, paged); anyone else: only themself.",
            "content": {
              "application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/User"}}}
            }
          },
          "400": {
            "description": "A bad query parameter.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "default": {"$ref": "#/components/responses/OtherError"}
        },
        "security": [{"TokenAuth": []}, {"BearerAuth": []}],
        "parameters": [
          {
            "name": "search",
            "in": "query",
            "required": false,
            "description": "Part of a username or e-mail (admins).",
            "schema": {"type": "string", "maxLength": 254}
          },
          {
            "name": "limit",
            "in": "query",
            "required": false,
            "description": "Page size.",
            "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}
          },
          {
            "name": "offset",
            "in": "query",
            "required": false,
            "description": "Rows to skip.",
            "schema": {"type": "integer", "minimum": 0, "maximum": 2147483647, "default": 0}
          }
        ]
      }
    },
    "/users/me/": {
      "get": {
        "summary": "The caller",
        "operationId": "me",
        "responses": {
          "200": {
            "description": "The caller.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/User"}}}
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "default": {"$ref": "#/components/responses/OtherError"}
        },
        "security": [{"TokenAuth": []}, {"BearerAuth": []}]
      }
    },
    "/users/me/password": {
      "post": {
        "summary": "Change password",
        "operationId": "changePassword",
        "responses": {
          "204": {"description": "Changed; every other token of the user is revoked."},
          "400": {
            "description": "Wrong old_password or an invalid new one.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "default": {"$ref": "#/components/responses/OtherError"}
        },
        "security": [{"TokenAuth": []}, {"BearerAuth": []}],
        "requestBody": {
          "required": true,
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PasswordChange"}}}
        }
      }
    },
    "/users/{id}/": {
      "get": {
        "summary": "One user",
        "operationId": "getUser",
        "description": "An admin reads anyone; anyone else only themself (another id is 404, so ids reveal nothing).",
        "responses": {
          "200": {
            "description": "The user.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/User"}}}
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "404": {
            "description": "No such user, or not the caller (for a non-admin).",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
          },
          "default": {"$ref": "#/components/responses/OtherError"}
        },
        "security": [{"TokenAuth": []}, {"BearerAuth": []}],
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "description": "The user's id.",
            "schema": {"type": "integer", "format": "int64"}
          }
        ]
      },
      "patch": {
        "summary": "Set admin and active flags",
        "operationId": "setUserFlags",
        "responses": {
          "200": {
            "description": "The user.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/User"}}}
          },
          "400": {
            "description": "A field of the wrong type.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "404": {
            "description": "No such user.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
          },
          "409": {
            "description": "The change would leave no active admin.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
          },
          "default": {"$ref": "#/components/responses/OtherError"}
        },
        "security": [{"TokenAuth": []}, {"BearerAuth": []}],
        "requestBody": {
          "required": true,
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/UserFlags"}}}
        },
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "description": "The user's id.",
            "schema": {"type": "integer", "format": "int64"}
          }
        ]
      }
    },
    "/login/": {
      "post": {
        "summary": "Log in",
        "operationId": "login",
        "responses": {
          "200": {
            "description": "A new token.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Session"}}}
          },
          "400": {
            "description": "A missing field.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
          },
          "401": {
            "description": "Wrong username or password (the same body for both), or an invalid token presented.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
          },
          "429": {
            "description": "Too many failed logins for this username or from this address.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds."}}
          },
          "default": {"$ref": "#/components/responses/OtherError"}
        },
        "security": [{}, {"TokenAuth": []}, {"BearerAuth": []}],
        "requestBody": {
          "required": true,
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Login"}}}
        }
      }
    },
    "/logout/": {
      "post": {
        "summary": "Log out",
        "operationId": "logout",
        "responses": {
          "204": {"description": "The token presented is revoked."},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "default": {"$ref": "#/components/responses/OtherError"}
        },
        "security": [{"TokenAuth": []}, {"BearerAuth": []}]
      }
    },
    "/resources/": {
      "get": {
        "summary": "List resources",
        "operationId": "listResources",
        "responses": {
          "200": {
            "description": "In stock and out of stock, by id.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ResourceCatalogue"}}}
          },
          "401": {"$ref": "#/components/responses/InvalidToken"},
          "default": {"$ref": "#/components/responses/OtherError"}
        },
        "security": [{}, {"TokenAuth": []}, {"BearerAuth": []}]
      },
      "post": {
        "summary": "Create a resource",
        "operationId": "createResource",
        "responses": {
          "201": {
            "description": "The new resource.",
            "links": {
              "GetResource": {"operationId": "getResource", "parameters": {"id": "$response.body#/id"}},
              "UpdateResource": {"operationId": "updateResource", "parameters": {"id": "$response.body#/id"}},
              "DeleteResource": {"operationId": "deleteResource", "parameters": {"id": "$response.body#/id"}}
            },
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Resource"}}}
          },
          "400": {
            "description": "An invalid field or a taken name.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "default": {"$ref": "#/components/responses/OtherError"}
        },
        "security": [{"TokenAuth": []}, {"BearerAuth": []}],
        "requestBody": {
          "required": true,
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ResourceCreate"}}}
        }
      }
    },
    "/resources/{id}/": {
      "get": {
        "summary": "One resource",
        "operationId": "getResource",
        "responses": {
          "200": {
            "description": "The resource.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Resource"}}}
          },
          "401": {"$ref": "#/components/responses/InvalidToken"},
          "404": {"$ref": "#/components/responses/ResourceNotFound"},
          "default": {"$ref": "#/components/responses/OtherError"}
        },
        "security": [{}, {"TokenAuth": []}, {"BearerAuth": []}],
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "description": "The resource's id.",
            "schema": {"type": "integer", "format": "int64"}
          }
        ]
      },
      "patch": {
        "summary": "Change a resource",
        "operationId": "updateResource",
        "responses": {
          "200": {
            "description": "The resource.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Resource"}}}
          },
          "400": {
            "description": "An invalid field or a taken name.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "404": {"$ref": "#/components/responses/ResourceNotFound"},
          "409": {
            "description": "total_quantity below the booked units.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
          },
          "default": {"$ref": "#/components/responses/OtherError"}
        },
        "security": [{"TokenAuth": []}, {"BearerAuth": []}],
        "requestBody": {
          "required": true,
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ResourceChanges"}}}
        },
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "description": "The resource's id.",
            "schema": {"type": "integer", "format": "int64"}
          }
        ]
      },
      "delete": {
        "summary": "Delete a resource",
        "operationId": "deleteResource",
        "responses": {
          "204": {"description": "Deleted, with its cancelled bookings."},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "404": {"$ref": "#/components/responses/ResourceNotFound"},
          "409": {
            "description": "Bookings on it are active.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
          },
          "default": {"$ref": "#/components/responses/OtherError"}
        },
        "security": [{"TokenAuth": []}, {"BearerAuth": []}],
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "description": "The resource's id.",
            "schema": {"type": "integer", "format": "int64"}
          }
        ]
      }
    },
    "/bookings/": {
      "post": {
        "summary": "Book units",
        "operationId": "book",
        "responses": {
          "201": {
            "description": "The booking (or, replayed under its Idempotency-Key, the original one).",
            "links": {
              "GetBooking": {"operationId": "getBooking", "parameters": {"id": "$response.body#/id"}},
              "CancelBooking": {"operationId": "cancelBooking", "parameters": {"id": "$response.body#/id"}}
            },
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Booking"}}},
            "headers": {"Idempotent-Replayed": {"schema": {"type": "string", "enum": ["true"]}}}
          },
          "400": {
            "description": "A bad quantity, or more than is available (insufficient_quantity).",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "404": {"$ref": "#/components/responses/ResourceNotFound"},
          "409": {
            "description": "A request with this Idempotency-Key is still in progress.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
          },
          "422": {
            "description": "This Idempotency-Key was used with a different body.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
          },
          "default": {"$ref": "#/components/responses/OtherError"}
        },
        "security": [{"TokenAuth": []}, {"BearerAuth": []}],
        "requestBody": {
          "required": true,
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/BookingCreate"}}}
        },
        "parameters": [
          {
            "name": "Idempotency-Key",
            "in": "header",
            "required": false,
            "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[\\x21-\\x7e]+$"},
            "description": "Makes retries safe: the same key and body return the original booking (201, Idempotent-Replayed: true); a different body is 422; a request still running under the key is 409. Kept 24 hours."
          }
        ]
      },
      "get": {
        "summary": "List bookings",
        "operationId": "listBookings",
        "responses": {
          "200": {
            "description": "The caller's bookings (an admin: everyone's), newest first.",
            "content": {
              "application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Booking"}}}
            }
          },
          "400": {
            "description": "A bad query parameter.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "default": {"$ref": "#/components/responses/OtherError"}
        },
        "security": [{"TokenAuth": []}, {"BearerAuth": []}],
        "parameters": [
          {
            "name": "resource",
            "in": "query",
            "required": false,
            "description": "Only this resource.",
            "schema": {"type": "integer", "format": "int64"}
          },
          {
            "name": "status",
            "in": "query",
            "required": false,
            "description": "Which bookings.",
            "schema": {"type": "string", "enum": ["active", "cancelled", "all"], "default": "active"}
          },
          {
            "name": "limit",
            "in": "query",
            "required": false,
            "description": "Page size.",
            "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}
          },
          {
            "name": "offset",
            "in": "query",
            "required": false,
            "description": "Rows to skip.",
            "schema": {"type": "integer", "minimum": 0, "maximum": 2147483647, "default": 0}
          }
        ]
      }
    },
    "/bookings/{id}/": {
      "get": {
        "summary": "One booking",
        "operationId": "getBooking",
        "description": "The caller's booking, active or cancelled (an admin: anyone's).",
        "responses": {
          "200": {
            "description": "The booking.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Booking"}}}
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "404": {
            "description": "No such booking of the caller's.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
          },
          "default": {"$ref": "#/components/responses/OtherError"}
        },
        "security": [{"TokenAuth": []}, {"BearerAuth": []}],
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "description": "The booking's id.",
            "schema": {"type": "integer", "format": "int64"}
          }
        ]
      },
      "delete": {
        "summary": "Cancel a booking",
        "operationId": "cancelBooking",
        "responses": {
          "200": {
            "description": "The cancelled booking; its units are back.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Booking"}}}
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "404": {
            "description": "No such booking of the caller's.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
          },
          "409": {
            "description": "Already cancelled.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
          },
          "default": {"$ref": "#/components/responses/OtherError"}
        },
        "security": [{"TokenAuth": []}, {"BearerAuth": []}],
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "description": "The booking's id.",
            "schema": {"type": "integer", "format": "int64"}
          }
        ]
      }
    }
  },
  "components": {
    "schemas": {
      "Status": {
        "type": "object",
        "required": ["status"],
        "properties": {"status": {"type": "string", "enum": ["ok", "ready"]}}
      },
      "Error": {
        "type": "object",
        "required": ["error", "reason", "code"],
        "properties": {
          "error": {"type": "boolean", "const": true},
          "reason": {"type": "string", "description": "For people."},
          "code": {"type": "string", "description": "Stable and machine-readable, e.g. insufficient_quantity."},
          "field": {"type": "string", "description": "The field a 400 is about, when there is one."}
        }
      },
      "User": {
        "type": "object",
        "required": ["id", "username", "email", "is_admin", "is_active", "created_at"],
        "properties": {
          "id": {"type": "integer", "format": "int64"},
          "username": {"type": "string"},
          "email": {"type": "string"},
          "is_admin": {"type": "boolean"},
          "is_active": {"type": "boolean"},
          "created_at": {"type": "string", "format": "date-time"}
        }
      },
      "SignUp": {
        "type": "object",
        "properties": {
          "username": {"type": "string", "minLength": 3, "maxLength": 150, "pattern": "^[A-Za-z0-9.@+_-]+$"},
          "email_address": {"type": "string", "maxLength": 254, "description": "Also accepted as `email`."},
          "email": {"type": "string", "maxLength": 254},
          "password": {"type": "string", "minLength": 8, "description": "8 to 72 bytes."},
          "confirm_password": {"type": "string"},
          "is_admin": {"type": "boolean", "description": "Honoured only when an admin's token is sent."}
        },
        "required": ["username", "password", "confirm_password"]
      },
      "Login": {
        "type": "object",
        "required": ["username", "password"],
        "properties": {"username": {"type": "string"}, "password": {"type": "string"}}
      },
      "Session": {
        "type": "object",
        "required": ["token", "expires_at", "user"],
        "properties": {
          "token": {"type": "string", "description": "Send as `Authorization: Token <token>` or `Bearer <token>`."},
          "expires_at": {"type": "string", "format": "date-time"},
          "user": {"$ref": "#/components/schemas/User"}
        }
      },
      "PasswordChange": {
        "type": "object",
        "required": ["old_password", "new_password"],
        "properties": {
          "old_password": {"type": "string"},
          "new_password": {"type": "string", "minLength": 8},
          "confirm_password": {"type": "string"}
        }
      },
      "UserFlags": {"type": "object", "properties": {"is_admin": {"type": "boolean"}, "is_active": {"type": "boolean"}}},
      "Resource": {
        "type": "object",
        "required": ["id", "name", "description", "total_quantity", "available_quantity"],
        "properties": {
          "id": {"type": "integer", "format": "int64"},
          "name": {"type": "string"},
          "description": {"type": "string"},
          "total_quantity": {"type": "integer", "format": "int32", "minimum": 0, "maximum": 2147483647},
          "available_quantity": {"type": "integer", "format": "int32", "minimum": 0, "maximum": 2147483647}
        }
      },
      "ResourceCatalogue": {
        "type": "object",
        "required": ["message", "resources", "out of stock resources"],
        "properties": {
          "message": {"type": "string", "const": "Resources fetched successfully"},
          "resources": {
            "type": "array",
            "items": {"$ref": "#/components/schemas/Resource"},
            "description": "In stock (available_quantity > 0), by id."
          },
          "out of stock resources": {
            "type": "array",
            "items": {"$ref": "#/components/schemas/Resource"},
            "description": "The rest, by id."
          }
        }
      },
      "ResourceCreate": {
        "type": "object",
        "required": ["name", "total_quantity"],
        "properties": {
          "name": {
            "type": "string",
            "minLength": 1,
            "maxLength": 200,
            "description": "Unique regardless of case; not only digits."
          },
          "description": {"type": "string", "maxLength": 10000, "default": ""},
          "total_quantity": {"type": "integer", "format": "int32", "minimum": 0, "maximum": 2147483647},
          "available_quantity": {
            "type": "integer",
            "format": "int32",
            "minimum": 0,
            "maximum": 2147483647,
            "description": "Defaults to total_quantity; at most total_quantity."
          }
        }
      },
      "ResourceChanges": {
        "type": "object",
        "properties": {
          "name": {"type": "string", "minLength": 1, "maxLength": 200},
          "description": {"type": "string", "maxLength": 10000},
          "total_quantity": {
            "type": "integer",
            "format": "int32",
            "minimum": 0,
            "maximum": 2147483647,
            "description": "available_quantity moves by the same delta; 409 if it would go below 0."
          }
        },
        "description": "available_quantity cannot be set directly (400)."
      },
      "BookingCreate": {
        "type": "object",
        "required": ["resource", "purchase_quantity"],
        "properties": {
          "resource": {
            "oneOf": [{"type": "integer", "format": "int64"}, {"type": "string", "minLength": 1}],
            "description": "A resource id (a number or a string of digits), or else a resource name."
          },
          "purchase_quantity": {"type": "integer", "format": "int32", "minimum": 1, "maximum": 2147483647}
        }
      },
      "Booking": {
        "type": "object",
        "required": ["id", "resource", "resource_name", "user", "purchase_quantity", "booking_date", "status"],
        "properties": {
          "id": {"type": "integer", "format": "int64"},
          "resource": {"type": "integer", "format": "int64"},
          "resource_name": {"type": "string"},
          "user": {"type": "integer", "format": "int64"},
          "purchase_quantity": {"type": "integer", "format": "int32", "minimum": 1, "maximum": 2147483647},
          "booking_date": {"type": "string", "format": "date-time"},
          "status": {"type": "string", "enum": ["active", "cancelled"]}
        }
      }
    },
    "responses": {
      "OtherError": {
        "description": "Any other error, in the same JSON shape (for example 405, 413 payload_too_large, 503 database_unavailable).",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
      },
      "Unauthorized": {
        "description": "No or invalid token.",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
      },
      "InvalidToken": {
        "description": "An invalid token was presented.",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
      },
      "Forbidden": {
        "description": "Not an admin.",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
      },
      "ResourceNotFound": {
        "description": "No such resource.",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
      }
    },
    "securitySchemes": {
      "TokenAuth": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "`Token <token>`, the Django REST convention."
      },
      "BearerAuth": {"type": "http", "scheme": "bearer", "description": "`Bearer <token>`."},
      "MetricsToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "`Bearer <METRICS_TOKEN>`, for `/metrics` when the server sets METRICS_TOKEN."
      }
    }
  }
}
"""#
}
