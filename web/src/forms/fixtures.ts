// Node-type schemas as `GET /api/v1/node-types` gives them (schemars output with the
// catalog's hints), trimmed to what the form tests need.

import type { JsonSchema } from "./schema";

const defs: Record<string, JsonSchema> = {
  Template: {
    type: "string",
    description: "Text with {{ expression }} placeholders.",
    "x-widget": "template",
  },
  Expression: { type: "string", description: "A rhai expression.", "x-widget": "expression" },
  Duration: { type: "string", description: 'A duration such as "90s".', "x-widget": "duration" },
  Button: {
    type: "object",
    properties: {
      id: {
        type: "string",
        description: "The button's id, which is also the name of its output port.",
      },
      title: {
        type: "string",
        description: "What the contact sees (at most 20 characters).",
        maxLength: 20,
      },
    },
    additionalProperties: false,
    required: ["id", "title"],
  },
  ListRow: {
    type: "object",
    properties: { id: { type: "string" }, title: { type: "string", maxLength: 24 } },
    required: ["id", "title"],
  },
  ListSection: {
    type: "object",
    properties: {
      title: { type: "string", maxLength: 24 },
      rows: { type: "array", items: { $ref: "#/$defs/ListRow" } },
    },
    required: ["title", "rows"],
  },
  HttpMethod: { type: "string", enum: ["GET", "POST", "PUT", "PATCH", "DELETE"] },
  Input: {
    description: "A fixed value or an expression.",
    "x-widget": "input",
    oneOf: [
      { type: "object", properties: { value: {} }, required: ["value"] },
      { type: "object", properties: { expr: { $ref: "#/$defs/Expression" } }, required: ["expr"] },
    ],
  },
  MessageMatch: {
    oneOf: [
      {
        description: "Any message at all.",
        type: "object",
        properties: { type: { type: "string", const: "any" } },
        required: ["type"],
      },
      {
        description: "The message text equals one of the keywords.",
        type: "object",
        properties: {
          type: { type: "string", const: "keyword" },
          keywords: { type: "array", items: { type: "string" } },
          case_sensitive: { type: "boolean" },
        },
        required: ["type", "keywords"],
      },
    ],
  },
  TemplateCategory: {
    oneOf: [
      { description: "Promotions.", type: "string", const: "marketing" },
      { description: "Updates.", type: "string", const: "utility" },
    ],
  },
};

export const sendButtons: JsonSchema = {
  type: "object",
  properties: {
    text: { $ref: "#/$defs/Template", maxLength: 1024 },
    header: { anyOf: [{ $ref: "#/$defs/Template" }, { type: "null" }], maxLength: 60 },
    buttons: { type: "array", items: { $ref: "#/$defs/Button" }, maxItems: 3 },
    variable: { description: "Where to store the tapped button's id.", type: ["string", "null"] },
    timeout: { $ref: "#/$defs/Duration", default: "1d" },
  },
  required: ["text", "buttons"],
  $defs: defs,
};

export const sendList: JsonSchema = {
  type: "object",
  properties: {
    text: { $ref: "#/$defs/Template", maxLength: 1024 },
    button: { type: "string", maxLength: 20 },
    sections: {
      type: "array",
      items: { $ref: "#/$defs/ListSection" },
      maxItems: 10,
      "x-max-rows": 10,
    },
  },
  required: ["text", "button", "sections"],
  $defs: defs,
};

export const httpRequest: JsonSchema = {
  type: "object",
  properties: {
    method: { $ref: "#/$defs/HttpMethod" },
    url: { $ref: "#/$defs/Template" },
    headers: { type: "object", additionalProperties: { $ref: "#/$defs/Template" } },
    retries: { type: "integer", minimum: 0, maximum: 255, default: 0 },
    save: { type: "object", additionalProperties: { $ref: "#/$defs/Expression" } },
  },
  required: ["method", "url"],
  $defs: defs,
};

export const mixed: JsonSchema = {
  type: "object",
  properties: {
    match: { $ref: "#/$defs/MessageMatch" },
    value: { $ref: "#/$defs/Input" },
    category: { $ref: "#/$defs/TemplateCategory" },
    preview_url: { type: "boolean" },
  },
  $defs: defs,
};
