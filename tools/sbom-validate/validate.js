#!/usr/bin/env node
// tools/sbom-validate/validate.js FILE [SPEC]: validates a CycloneDX JSON document with someone
// else's validator: @cyclonedx/cyclonedx-library's JSON schema validator (ajv, the schema of the
// spec version SPEC, default: the document's own specVersion), then the two rules the schema
// cannot state: every bom-ref is unique, and every ref of `dependencies` names a bom-ref of the
// document. Prints "FILE: valid CycloneDX SPEC" and exits 0, or prints each error and exits 1;
// 2 when it cannot run (no such file, not JSON, an unknown spec version, a missing module).
// Installed by `make deps` (npm ci in this directory; README.md, Dependencies).
'use strict'

const fs = require('node:fs')

function fail (code, msg) {
  process.stderr.write(`sbom-validate: ${msg}\n`)
  process.exit(code)
}

// Every object with a bom-ref, anywhere in the document.
function bomRefs (node, seen, dups) {
  if (Array.isArray(node)) {
    for (const x of node) bomRefs(x, seen, dups)
  } else if (node && typeof node === 'object') {
    if (typeof node['bom-ref'] === 'string') {
      if (seen.has(node['bom-ref'])) dups.push(node['bom-ref'])
      seen.add(node['bom-ref'])
    }
    for (const [k, v] of Object.entries(node)) if (k !== 'dependencies') bomRefs(v, seen, dups)
  }
}

function references (doc) {
  const errors = []
  const seen = new Set()
  const dups = []
  bomRefs(doc, seen, dups)
  for (const d of dups) errors.push(`bom-ref "${d}" is not unique`)
  for (const [i, dep] of (doc.dependencies || []).entries()) {
    if (!seen.has(dep.ref)) errors.push(`dependencies[${i}].ref "${dep.ref}" names no bom-ref`)
    for (const r of dep.dependsOn || []) {
      if (!seen.has(r)) errors.push(`dependencies[${i}] (${dep.ref}).dependsOn "${r}" names no bom-ref`)
    }
  }
  return errors
}

async function main () {
  const [file, wanted] = process.argv.slice(2)
  if (!file) fail(2, 'usage: validate.js FILE [SPEC]   (SPEC: 1.5, 1.6, ...; default the document\'s specVersion)')
  let CDX
  try {
    CDX = require('@cyclonedx/cyclonedx-library')
  } catch (e) {
    fail(2, `cannot load @cyclonedx/cyclonedx-library (${e.message}): run \`make deps\` (npm ci in ${__dirname})`)
  }
  let text, doc
  try {
    text = fs.readFileSync(file, 'utf-8')
  } catch (e) {
    fail(2, `cannot read ${file}: ${e.message}`)
  }
  try {
    doc = JSON.parse(text)
  } catch (e) {
    fail(1, `${file}: not JSON: ${e.message}`)
  }
  const spec = wanted || doc.specVersion
  if (!Object.values(CDX.Spec.Version).includes(spec)) {
    fail(2, `${file}: spec version "${spec}" is not one the library knows (${Object.values(CDX.Spec.Version).join(', ')})`)
  }
  let errors
  try {
    errors = await new CDX.Validation.JsonStrictValidator(spec).validate(text)
  } catch (e) {
    fail(2, `the validator cannot run: ${e.message}`)
  }
  const all = (errors || []).map(e => `${e.instancePath || '/'}: ${e.message}${e.params ? ' ' + JSON.stringify(e.params) : ''}`)
  all.push(...references(doc))
  if (all.length) {
    process.stdout.write(`${file}: NOT valid CycloneDX ${spec}:\n`)
    for (const e of all) process.stdout.write(`  ${e}\n`)
    process.exit(1)
  }
  process.stdout.write(`${file}: valid CycloneDX ${spec} (@cyclonedx/cyclonedx-library's JSON schema validator)\n`)
}

main()
