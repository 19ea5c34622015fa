#pragma once
// ProfileTableModel: one row per column of the loaded table, one column per profile statistic
// (the schema and profile part of the data panel, P4). A read-only adapter over the engine's
// plain ColumnProfile structs; all statistics come from the engine.

#include <QAbstractTableModel>
#include <vector>

#include "automl/data/profile.hpp"

namespace glasswing::studio {

class ProfileTableModel : public QAbstractTableModel {
  Q_OBJECT

 public:
  enum Column { Name, Type, Missing, MissingPercent, Distinct, Min, Max, Mean, Std, TopValues,
                ColumnCount };
  // Raw value for sorting: a double for numeric columns, the text otherwise.
  static constexpr int SortRole = Qt::UserRole + 1;

  explicit ProfileTableModel(QObject* parent = nullptr);

  void setProfiles(std::vector<data::ColumnProfile> profiles);
  void clear();
  const std::vector<data::ColumnProfile>& profiles() const { return m_profiles; }
  // nullptr when `row` is out of range.
  const data::ColumnProfile* profileAt(int row) const;

  int rowCount(const QModelIndex& parent = QModelIndex()) const override;
  int columnCount(const QModelIndex& parent = QModelIndex()) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation,
                      int role = Qt::DisplayRole) const override;

  // How the Studio writes a statistic of a column of this type (dates as ISO 8601, numbers with
  // about four significant digits). Public for the chart and the tests.
  static QString formatNumber(double value);
  static QString formatValue(const data::ColumnProfile& profile, double value);

 private:
  QVariant displayData(const data::ColumnProfile& profile, int column) const;
  QVariant sortData(const data::ColumnProfile& profile, int column) const;
  QVariant toolTipData(const data::ColumnProfile& profile, int column) const;

  std::vector<data::ColumnProfile> m_profiles;
};

}  // namespace glasswing::studio
