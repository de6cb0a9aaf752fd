#pragma once
// The JSON document of print_diagnose_json, for the writers that add to it (the uncertainty).
#include "phasecube/diagnose.hpp"
#include "support/json_out.hpp"

namespace phasecube {

Json diagnose_json_document(const DiagnoseResult& r, const DiagnoseOptions& o);

}  // namespace phasecube
