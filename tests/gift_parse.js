#!/usr/bin/env node
// Parse GIFT documents with gift-pegjs, an independent GIFT parser, for tests/test_gift.py.
//
// stdin:  a JSON array of GIFT documents (strings).
// stdout: a JSON array with one entry per document, in order:
//         {"questions": [...]} as gift-pegjs returns them, or
//         {"error": "...", "location": {...}} if it refuses the document.
// Many documents go through one process because starting node is the slow part.
"use strict";

const gift = require("gift-pegjs");

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const results = JSON.parse(input).map((doc) => {
    try {
      return { questions: gift.parse(doc) };
    } catch (e) {
      return { error: String(e.message), location: e.location || null };
    }
  });
  process.stdout.write(JSON.stringify(results));
});
